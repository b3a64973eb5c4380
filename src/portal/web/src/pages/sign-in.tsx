import { useEffect, useState } from 'react';
import { Button, FieldError, Form, Input, Label, TextField } from 'react-aria-components';
import { identityProviders, signInWithToken, type IdentityProvider } from '../sign-in-api';

/** Sign in with an identity provider (one button each) or with an API token. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [providers, setProviders] = useState<IdentityProvider[]>([]);
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => void identityProviders().then(setProviders), []);
  const returnTo = encodeURIComponent(location.pathname + location.search);

  const submit = async () => {
    setBusy(true);
    const outcome = await signInWithToken(token.trim());
    setBusy(false);
    if (outcome.ok) onSignedIn();
    else setProblem(outcome.message);
  };

  return (
    <main id="main" className="sign-in">
      <h1>Sign in to Skypool</h1>
      {providers.length > 0 && (
        <section>
          <h2>With your institution</h2>
          <ul className="providers">
            {providers.map((p) => (
              <li key={p.name}>
                <a className="button" href={`/auth/login?provider=${encodeURIComponent(p.name)}&returnTo=${returnTo}`}>
                  Sign in with {p.label}
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section>
        <h2>With an API token</h2>
        <Form
          validationErrors={problem ? { token: problem } : {}}
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <TextField name="token" type="password" isRequired value={token} onChange={(value) => (setToken(value), setProblem(undefined))} autoComplete="off">
            <Label>Token</Label>
            <Input />
            <FieldError />
          </TextField>
          <Button type="submit" className="button primary" isDisabled={busy}>
            Sign in
          </Button>
        </Form>
        <p className="hint">
          A token from <code>skypool tokens create</code>, or the federation administrator's token that the broker made at its first start.
        </p>
      </section>
    </main>
  );
}
