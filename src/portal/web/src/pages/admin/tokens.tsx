import { useState } from 'react';
import { Button, Dialog, Form, Heading, Modal } from 'react-aria-components';
import { useMutation, useQuery } from 'urql';
import { describeError, refusalOf, type Refusal } from '../../api/client';
import { AdminCreateApiTokenDocument, AdminCreateServiceAccountDocument, AdminRevokeApiTokenDocument, AdminTokensPageDocument, type AdminTokensPageQuery, type Role } from '../../api/generated';
import { ConfirmButton } from '../../components/confirm-button';
import { TextInput } from '../../components/fields';
import { SelectField } from '../../components/plain-fields';
import { ScrollTable } from '../../components/scroll-table';
import { Loading, Problem } from '../../components/status';
import { formatTime } from '../../format';
import { useMe, type Me } from '../../session';
import './admin-forms.css';

type Token = AdminTokensPageQuery['apiTokens'][number];
type Project = AdminTokensPageQuery['projects'][number];

/** A token just made: shown once, then forgotten. */
interface NewToken {
  name: string;
  token: string;
  expiresAt: string | null | undefined;
}

const ROLES: Role[] = ['RESEARCHER', 'PROJECT_MANAGER', 'SITE_ADMIN', 'FEDERATION_ADMIN'];
const PROJECT_ROLES: Role[] = ['RESEARCHER', 'PROJECT_MANAGER'];

const WHOLE = /^\s*\d+\s*$/;

/**
 * Which service accounts the caller may make, as the API decides it: federation admins any role
 * in any scope; a project manager researcher or manager accounts of the projects they manage.
 */
function serviceAccountRights(me: Me, projects: Project[]): { roles: Role[]; projects: Project[] } {
  if (me.kind === 'service-account') return { roles: [], projects: [] };
  if (me.roles.some((g) => g.role === 'FEDERATION_ADMIN')) return { roles: ROLES, projects };
  const managed = new Set(me.roles.flatMap((g) => (g.role === 'PROJECT_MANAGER' && g.project ? [g.project.id] : [])));
  const mine = projects.filter((p) => managed.has(p.id));
  return mine.length ? { roles: PROJECT_ROLES, projects: mine } : { roles: [], projects: [] };
}

/** The caller's tokens; new service accounts and personal tokens, each shown once; revoking. */
export default function AdminTokens() {
  const me = useMe();
  const [{ data, error, fetching }, refresh] = useQuery({ query: AdminTokensPageDocument });
  const reload = () => refresh({ requestPolicy: 'network-only' });
  const [created, setCreated] = useState<NewToken>();
  const onCreated = (made: NewToken) => {
    setCreated(made);
    reload();
  };
  const projects = data?.projects ?? [];
  const rights = serviceAccountRights(me, projects);
  return (
    <>
      <h1>Tokens</h1>
      <p>
        An API token lets a batch job, a script or the <code>skypool</code> command act in Skypool (<code>Authorization: Bearer &lt;token&gt;</code>). A token is shown
        once, when it is made: Skypool keeps only a hash of it.
      </p>
      {error && <Problem>{describeError(error)}</Problem>}
      {fetching && !data && <Loading what="tokens" />}
      {data && rights.roles.length > 0 && <CreateServiceAccount roles={rights.roles} projects={rights.projects} onCreated={onCreated} />}
      {data && rights.roles.length === 0 && <p className="hint">Service accounts are made by federation admins, and by project managers for their projects.</p>}
      {data && me.kind === 'user' && <CreatePersonalToken me={me} onCreated={onCreated} />}
      {data && <TokensTable tokens={data.apiTokens} projects={projects} reload={reload} />}
      <NewTokenDialog created={created} onDone={() => setCreated(undefined)} />
    </>
  );
}

type ServiceAccountField = 'name' | 'role' | 'project' | 'institution' | 'expires';

function CreateServiceAccount({ roles, projects, onCreated }: { roles: Role[]; projects: Project[]; onCreated: (made: NewToken) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('RESEARCHER');
  const [projectId, setProjectId] = useState(projects[0]?.id ?? '');
  const [institution, setInstitution] = useState('');
  const [days, setDays] = useState('');
  const [touched, setTouched] = useState(false);
  const [refusal, setRefusal] = useState<Refusal<ServiceAccountField>>();
  const [creation, create] = useMutation(AdminCreateServiceAccountDocument);
  const inProject = PROJECT_ROLES.includes(role);
  const errors: Partial<Record<ServiceAccountField, string>> = {
    name: name.trim() ? undefined : 'name it after what will use it, such as ci-runner',
    project: inProject && !projectId ? 'choose the project it acts in' : undefined,
    institution: role === 'SITE_ADMIN' && !institution.trim() ? 'give the institution whose sites it administers' : undefined,
    expires: days.trim() && !WHOLE.test(days) ? 'a whole number of days; empty: the default' : undefined,
  };
  const errorOf = (field: ServiceAccountField) => (refusal?.field === field ? refusal.message : touched ? errors[field] : undefined);
  const edit =
    <T extends string>(set: (v: T) => void) =>
    (value: string) => {
      set(value as T);
      setRefusal(undefined);
    };
  const onSubmit = async () => {
    setTouched(true);
    if (Object.values(errors).some(Boolean)) return;
    const input = {
      name: name.trim(),
      role,
      ...(inProject ? { projectId } : {}),
      ...(role === 'SITE_ADMIN' ? { institution: institution.trim() } : {}),
      ...(days.trim() ? { expiresInDays: Number(days) } : {}),
    };
    const outcome = await create({ input });
    if (outcome.error) {
      setRefusal(refusalOf(outcome.error, { name: 'name', role: 'role', projectId: 'project', institution: 'institution', expiresInDays: 'expires' }, { NOT_FOUND: 'project' }));
      return;
    }
    const made = outcome.data?.createServiceAccount;
    if (!made) return;
    setName('');
    setDays('');
    setTouched(false);
    onCreated({ name: input.name, token: made.token, expiresAt: made.expiresAt });
  };
  return (
    <section className="admin-panel" aria-labelledby="service-account-heading">
      <h2 id="service-account-heading">New service account</h2>
      <p className="hint">A token with one role in one scope, for a batch job or the command line. It acts while whoever made it could still make it.</p>
      <Form
        className="admin-form"
        onSubmit={(event) => {
          event.preventDefault();
          void onSubmit();
        }}
      >
        <div className="admin-fields">
          <TextInput label="Name" value={name} onChange={edit(setName)} error={errorOf('name')} />
          <SelectField label="Role" value={role} onChange={edit<Role>(setRole)} error={errorOf('role')}>
            {roles.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </SelectField>
          {inProject && (
            <SelectField label="Project" value={projectId} onChange={edit(setProjectId)} error={errorOf('project')}>
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.institution})
                </option>
              ))}
            </SelectField>
          )}
          {role === 'SITE_ADMIN' && <TextInput label="Institution" value={institution} onChange={edit(setInstitution)} error={errorOf('institution')} />}
          <TextInput label="Expires in (days)" value={days} onChange={edit(setDays)} error={errorOf('expires')} inputMode="numeric" description="empty: the broker's default (90 days unless set)" />
        </div>
        {refusal && !refusal.field && <Problem>{refusal.message}</Problem>}
        <div className="admin-form-buttons">
          <Button type="submit" className="button primary" isDisabled={creation.fetching}>
            Create service account
          </Button>
        </div>
      </Form>
    </section>
  );
}

type PersonalField = 'name' | 'role' | 'project' | 'operations' | 'expires';

/** A token that acts as the person signed in (through their identity provider), within the limits chosen. */
function CreatePersonalToken({ me, onCreated }: { me: Me; onCreated: (made: NewToken) => void }) {
  const held = ROLES.filter((r) => me.roles.some((g) => g.role === r));
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(held.includes('RESEARCHER') || held.length === 0 ? 'RESEARCHER' : held[0]!);
  const [projectId, setProjectId] = useState('');
  const [operations, setOperations] = useState('');
  const [days, setDays] = useState('');
  const [touched, setTouched] = useState(false);
  const [refusal, setRefusal] = useState<Refusal<PersonalField>>();
  const [creation, create] = useMutation(AdminCreateApiTokenDocument);
  const errors: Partial<Record<PersonalField, string>> = {
    name: name.trim() ? undefined : 'name it after what will use it, such as laptop-cli',
    expires: days.trim() && !WHOLE.test(days) ? 'a whole number of days; empty: 90' : undefined,
  };
  const errorOf = (field: PersonalField) => (refusal?.field === field ? refusal.message : touched ? errors[field] : undefined);
  const edit =
    <T extends string>(set: (v: T) => void) =>
    (value: string) => {
      set(value as T);
      setRefusal(undefined);
    };
  const onSubmit = async () => {
    setTouched(true);
    if (Object.values(errors).some(Boolean)) return;
    const listed = operations.split(/[\s,]+/).filter(Boolean);
    const input = {
      name: name.trim(),
      role,
      ...(projectId ? { projectId } : {}),
      ...(listed.length ? { operations: listed } : {}),
      ...(days.trim() ? { expiresInDays: Number(days) } : {}),
    };
    const outcome = await create({ input });
    if (outcome.error) {
      setRefusal(refusalOf(outcome.error, { name: 'name', role: 'role', projectId: 'project', operations: 'operations', expiresInDays: 'expires' }, { NOT_FOUND: 'project' }));
      return;
    }
    const made = outcome.data?.createApiToken;
    if (!made) return;
    setName('');
    setTouched(false);
    onCreated({ name: input.name, token: made.token, expiresAt: made.expiresAt });
  };
  return (
    <section className="admin-panel" aria-labelledby="personal-token-heading">
      <h2 id="personal-token-heading">New personal token</h2>
      <p className="hint">A token that acts as you, {me.name}: your roles at each use, no higher than the role chosen, only in the project chosen.</p>
      <Form
        className="admin-form"
        onSubmit={(event) => {
          event.preventDefault();
          void onSubmit();
        }}
      >
        <div className="admin-fields">
          <TextInput label="Token name" value={name} onChange={edit(setName)} error={errorOf('name')} />
          <SelectField label="Highest role" value={role} onChange={edit<Role>(setRole)} error={errorOf('role')}>
            {(held.length ? held : (['RESEARCHER'] as Role[])).map((r) => (
              <option key={r}>{r}</option>
            ))}
          </SelectField>
          <SelectField label="Only in project" value={projectId} onChange={edit(setProjectId)} error={errorOf('project')}>
            <option value="">All your projects</option>
            {me.projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.institution})
              </option>
            ))}
          </SelectField>
          <TextInput label="Token expires in (days)" value={days} onChange={edit(setDays)} error={errorOf('expires')} inputMode="numeric" description="empty: 90; at most 3650" />
        </div>
        <TextInput
          label="Only these operations"
          value={operations}
          onChange={edit(setOperations)}
          error={errorOf('operations')}
          description="root fields separated by commas, such as submitRequest, resourceRequest; empty: any"
        />
        {refusal && !refusal.field && <Problem>{refusal.message}</Problem>}
        <div className="admin-form-buttons">
          <Button type="submit" className="button primary" isDisabled={creation.fetching}>
            Create personal token
          </Button>
        </div>
      </Form>
    </section>
  );
}

/** The new token, once: a Copy button, and a clear word that it will not be shown again. */
function NewTokenDialog({ created, onDone }: { created: NewToken | undefined; onDone: () => void }) {
  const [copy, setCopy] = useState<'copied' | 'failed'>();
  const done = () => {
    setCopy(undefined);
    onDone();
  };
  return (
    <Modal className="modal" isOpen={!!created} isDismissable={false} isKeyboardDismissDisabled>
      <Dialog className="admin-dialog">
        {created && (
          <>
            <Heading slot="title">Token {created.name}</Heading>
            <p className="once">Copy it now: this is the only time it is shown. Skypool keeps only a hash of it and cannot show it again.</p>
            <code className="secret">{created.token}</code>
            <p>{created.expiresAt ? `It expires ${formatTime(created.expiresAt)}.` : 'It does not expire.'}</p>
            <div className="dialog-buttons">
              <Button
                className="button primary"
                autoFocus
                onPress={() =>
                  void navigator.clipboard.writeText(created.token).then(
                    () => setCopy('copied'),
                    () => setCopy('failed'),
                  )
                }
              >
                {copy === 'copied' ? 'Copied' : 'Copy'}
              </Button>
              <Button className="button" onPress={done}>
                Done
              </Button>
            </div>
            <p role="status" className="hint">
              {copy === 'copied' && 'The token is on the clipboard.'}
              {copy === 'failed' && 'The browser did not let the page copy: select the token and copy it yourself.'}
            </p>
          </>
        )}
      </Dialog>
    </Modal>
  );
}

function stateOf(token: Token, now: number): 'Active' | 'Revoked' | 'Expired' {
  if (token.revokedAt) return 'Revoked';
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return 'Expired';
  return 'Active';
}

/** The tokens made with this one, and theirs: revoking it revokes them too. */
function madeWith(token: Token, tokens: Token[]): Token[] {
  const found: Token[] = [];
  let parents = new Set([token.id]);
  while (parents.size) {
    const children = tokens.filter((t) => t.parentTokenId && parents.has(t.parentTokenId) && !found.includes(t));
    found.push(...children);
    parents = new Set(children.map((t) => t.id));
  }
  return found.filter((t) => !t.revokedAt);
}

function TokensTable({ tokens, projects, reload }: { tokens: Token[]; projects: Project[]; reload: () => void }) {
  const [, revoke] = useMutation(AdminRevokeApiTokenDocument);
  const now = Date.now();
  const projectName = (id: string) => projects.find((p) => p.id === id)?.name ?? `project ${id.slice(0, 8)}`;
  const scopeOf = (t: Token) => {
    const where = t.projectId ? projectName(t.projectId) : t.institution ? t.institution : t.role === 'FEDERATION_ADMIN' ? 'the federation' : t.kind === 'user' ? 'its maker’s projects' : '—';
    return t.operations?.length ? `${where}; only ${t.operations.join(', ')}` : where;
  };
  return (
    <section aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Your tokens</h2>
      {tokens.length === 0 ? (
        <p>You have made no tokens yet.</p>
      ) : (
        <ScrollTable label="Tokens table">
          <table>
            <caption className="visually-hidden">Tokens, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Role</th>
                <th scope="col">Scope</th>
                <th scope="col">Made by</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => {
                const state = stateOf(t, now);
                const children = madeWith(t, tokens);
                return (
                  <tr key={t.id} className={`token-state-${state.toLowerCase()}`}>
                    <td>{t.name}</td>
                    <td>{t.kind === 'user' ? 'personal' : 'service account'}</td>
                    <td>{t.role}</td>
                    <td>{scopeOf(t)}</td>
                    <td>{t.createdBy}</td>
                    <td>{t.expiresAt ? formatTime(t.expiresAt) : 'never'}</td>
                    <td>{t.lastUsedAt ? formatTime(t.lastUsedAt) : 'never'}</td>
                    <td>
                      {state}
                      {t.revokedAt && ` ${formatTime(t.revokedAt)}`}
                    </td>
                    <td>
                      {!t.revokedAt && (
                        <ConfirmButton
                          label="Revoke"
                          ariaLabel={`Revoke token ${t.name}`}
                          title={`Revoke token ${t.name}?`}
                          confirmLabel="Yes, revoke it"
                          onConfirm={async () => {
                            const outcome = await revoke({ id: t.id });
                            if (outcome.error) return describeError(outcome.error);
                            reload();
                            return true;
                          }}
                        >
                          <p>It stops working at once, for everything that uses it; a portal session signed in with it ends.</p>
                          {children.length > 0 && (
                            <p className="once">
                              {children.length === 1 ? 'The token' : `The ${children.length} tokens`} made with it ({children.map((c) => c.name).join(', ')}) {children.length === 1 ? 'is' : 'are'} revoked too.
                            </p>
                          )}
                        </ConfirmButton>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </ScrollTable>
      )}
    </section>
  );
}
