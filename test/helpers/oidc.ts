import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';

/** Listens on a random loopback port; resolves to the port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port that was free a moment ago, for a broker whose callback URL must be known in advance. */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  attributes: string[];
}

/**
 * The browser side of a login: fetch with manual redirects and a cookie jar scoped as browsers
 * scope cookies (by host, not port; by path prefix).
 */
export class Browser {
  private cookies: StoredCookie[] = [];

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set('cookie', cookie);
    if (init.body instanceof URLSearchParams) headers.set('content-type', 'application/x-www-form-urlencoded');
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.absorb(target, res);
    return res;
  }

  cookieHeader(url: URL): string {
    return this.cookies
      .filter((c) => c.host === url.hostname && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** The value of a cookie the browser holds for this host. */
  cookie(name: string, host = '127.0.0.1'): string | undefined {
    return this.cookies.find((c) => c.name === name && c.host === host)?.value;
  }

  /** The attributes (HttpOnly, SameSite=Lax, ...) a cookie was set with. */
  attributes(name: string, host = '127.0.0.1'): string[] {
    return this.cookies.find((c) => c.name === name && c.host === host)?.attributes ?? [];
  }

  private absorb(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((p) => p.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const attribute = (key: string) => attrs.find((a) => a.toLowerCase().startsWith(`${key.toLowerCase()}=`))?.split('=')[1];
      const path = attribute('path') ?? '/';
      const maxAge = attribute('max-age');
      const expires = attribute('expires');
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === url.hostname && c.path === path));
      const gone = (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (!gone) this.cookies.push({ name, value, host: url.hostname, path, attributes: attrs });
    }
  }
}

/** An RS256 signing key with its public JWK. */
export async function signingKey(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface Account {
  email: string;
  name: string;
}

/**
 * A real OpenID Connect provider (panva's oidc-provider) on a random loopback port: one static
 * confidential client, PKCE required, and login and consent pages of its own (see `interact`) that
 * a real browser can fill in as well as `signInAtProvider` can.
 */
export async function startRealProvider(options: { client: ClientMetadata; accounts: Record<string, Account> }): Promise<{ issuer: string; close(): Promise<void> }> {
  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const key = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(key.privateKey)), kid: 'real-provider-key', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [options.client],
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    // the library's development pages import a font from Google's servers: ours need nothing from elsewhere
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: async (_ctx, sub) => {
      const account = Object.hasOwn(options.accounts, sub) ? options.accounts[sub] : undefined;
      return account ? { accountId: sub, claims: async () => ({ sub, email: account.email, email_verified: true, name: account.name }) } : undefined;
    },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    ttl: { Session: 3600, Grant: 3600, Interaction: 600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
  });
  const oidc = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!/^\/interaction\/[\w-]+$/.test(new URL(req.url!, issuer).pathname)) return void oidc(req, res);
    interact(provider, req, res, options.accounts).catch((err: Error) => {
      if (res.headersSent) return void res.end();
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`no such sign-in here: ${err.message}`);
    });
  });
  return { issuer, close: () => close(server) };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A page of the provider's own; no favicon to fetch (a browser would log the provider's 404 for it). */
function page(res: ServerResponse, title: string, body: string): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><link rel="icon" href="data:,"></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body>
</html>`);
}

/**
 * The provider's interaction pages at /interaction/<uid>, as a deployment writes its own: GET shows
 * the login form (user name and password, labelled; any password will do for a known account) or
 * the consent form; POST to the same address takes the form (its hidden `prompt` names which) and
 * sends the browser on with a 303.
 */
async function interact(provider: Provider, req: IncomingMessage, res: ServerResponse, accounts: Record<string, Account>): Promise<void> {
  const interaction = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = interaction;
  const clientId = String(params.client_id);
  const action = `/interaction/${uid}`;
  const loginForm = (problem?: string) =>
    page(
      res,
      'Sign in',
      `<p>to continue to ${escapeHtml(clientId)}</p>
${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="${action}" autocomplete="off">
<input type="hidden" name="prompt" value="login">
<p><label for="login">User name</label> <input id="login" name="login" required autofocus></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" required></p>
<button type="submit">Sign in</button>
</form>`,
    );

  if (req.method === 'GET' && prompt.name === 'login') return loginForm();
  if (req.method === 'GET' && prompt.name === 'consent') {
    const scopes = String(params.scope ?? '').split(' ').filter(Boolean);
    return page(
      res,
      `Authorize ${clientId}`,
      `<p>${escapeHtml(clientId)} asks for:</p>
<ul>${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<form method="post" action="${action}">
<input type="hidden" name="prompt" value="consent">
<button type="submit">Allow</button>
</form>`,
    );
  }
  if (req.method !== 'POST') throw new Error(`${req.method} with prompt ${prompt.name}`);

  let body = '';
  for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  if (form.get('prompt') !== prompt.name) throw new Error(`a ${form.get('prompt')} form, but the provider asks for ${prompt.name}`);
  if (prompt.name === 'login') {
    const login = form.get('login') ?? '';
    if (!Object.hasOwn(accounts, login) || !form.get('password')) return loginForm('Unknown user name or password.');
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'consent') {
    // what the user consents to: the scopes and claims the client asked for and has not been given yet
    const grant = interaction.grantId ? await provider.Grant.find(interaction.grantId) : new provider.Grant({ accountId: interaction.session!.accountId, clientId });
    if (!grant) throw new Error('the grant has gone');
    const { missingOIDCScope, missingOIDCClaims } = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  throw new Error(`prompt ${prompt.name} is not implemented here`);
}

/**
 * Signs in at the real provider's login and consent forms as `account`, following redirects until the
 * provider sends the browser to `callbackBase`; returns that URL (the browser does not go there).
 */
export async function signInAtProvider(browser: Browser, authorizationUrl: string, account: string, callbackBase: string): Promise<URL> {
  let url = new URL(authorizationUrl);
  for (let step = 0; step < 12; step++) {
    let res = await browser.request(url);
    if (res.status === 200) {
      const html = await res.text();
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      if (!prompt) throw new Error(`no form at ${url}: ${html.slice(0, 300)}`);
      const form = new URLSearchParams(prompt === 'login' ? { prompt, login: account, password: 'not-checked' } : { prompt });
      res = await browser.request(url, { method: 'POST', body: form });
    }
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) throw new Error(`unexpected answer ${res.status} at ${url}: ${await res.text()}`);
    url = new URL(location, url);
    if (url.href.startsWith(callbackBase)) return url;
  }
  throw new Error('the provider did not come back to the callback');
}

/** What the fake provider's token endpoint knows when it makes an ID token. */
export interface TokenContext {
  issuer: string;
  clientId: string;
  nonce: string;
  now: number;
}

/**
 * A hand-made provider for the checks a real provider never fails: discovery, a JWKS, an
 * authorization endpoint that hands out codes, and a token endpoint that checks the client, the
 * code and its PKCE verifier, then answers with whatever ID token the test makes.
 */
export class FakeProvider {
  issuer = '';
  readonly clientId = 'skypool-fake';
  readonly clientSecret = 'fake-client-secret';
  /** the last token request, as the broker sent it */
  lastTokenRequest?: URLSearchParams;
  /** makes the ID token of the next token answer */
  idToken: (ctx: TokenContext) => Promise<string> = async (ctx) => this.sign(this.claims(ctx));
  /** the userinfo answer; by default the subject of the ID token issued with the access token */
  userinfo: ((subject: string | undefined) => { status: number; body: string }) | undefined;

  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly codes = new Map<string, { challenge: string; nonce: string; redirectUri: string }>();
  private readonly subjects = new Map<string, string | undefined>();
  private key!: { privateKey: CryptoKey; jwk: JWK };

  async start(): Promise<this> {
    this.key = await signingKey('fake-key-1');
    this.issuer = `http://127.0.0.1:${await listen(this.server)}`;
    return this;
  }

  close(): Promise<void> {
    return close(this.server);
  }

  /** The claims of a good ID token for this login. */
  claims(ctx: TokenContext, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(ctx.now / 1000);
    return { iss: ctx.issuer, aud: ctx.clientId, sub: 'grace', email: 'grace@example.edu', name: 'Grace Hopper', nonce: ctx.nonce, iat: now, exp: now + 300, ...overrides };
  }

  /** Signed with the key of the JWKS, or the one given (with the JWKS's kid unless told). */
  sign(claims: Record<string, unknown>, key: CryptoKey = this.key.privateKey, kid = 'fake-key-1'): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  }

  unsigned(claims: Record<string, unknown>): string {
    return new UnsecuredJWT(claims).encode();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        userinfo_endpoint: `${this.issuer}/userinfo`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [this.key.jwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== this.clientId || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return json(400, { error: 'invalid_request' });
      const code = randomBytes(16).toString('base64url');
      this.codes.set(code, { challenge: q.get('code_challenge')!, nonce: q.get('nonce') ?? '', redirectUri: q.get('redirect_uri')! });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.href });
      return void res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      this.lastTokenRequest = form;
      const grant = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? ''); // a code works once
      if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) return json(401, { error: 'invalid_client' });
      if (!grant || grant.redirectUri !== form.get('redirect_uri')) return json(400, { error: 'invalid_grant', error_description: 'unknown code' });
      if (s256(form.get('code_verifier') ?? '') !== grant.challenge) return json(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      const idToken = await this.idToken({ issuer: this.issuer, clientId: this.clientId, nonce: grant.nonce, now: Date.now() });
      const accessToken = randomBytes(16).toString('base64url');
      this.subjects.set(accessToken, subjectOf(idToken));
      return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken });
    }
    if (url.pathname === '/userinfo') {
      const accessToken = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!this.subjects.has(accessToken)) return json(401, { error: 'invalid_token' });
      const subject = this.subjects.get(accessToken);
      const answer = this.userinfo?.(subject) ?? { status: 200, body: JSON.stringify({ sub: subject, email: 'grace@example.edu', eduperson_entitlement: ['urn:mace:egi.eu:group:climate'] }) };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      return void res.end(answer.body);
    }
    json(404, { error: 'not_found' });
  }
}

function subjectOf(idToken: string): string | undefined {
  try {
    return decodeJwt(idToken).sub;
  } catch {
    return undefined;
  }
}

/** A whole login at a fake provider whose ID token carries `claims`; the session cookie's value. */
export async function logInWithFake(brokerUrl: string, fake: FakeProvider, claims: Record<string, unknown>): Promise<string> {
  fake.idToken = async (ctx) => fake.sign(fake.claims(ctx, claims));
  const browser = new Browser();
  const toProvider = await browser.request(`${brokerUrl}/auth/login`);
  const toCallback = await browser.request(toProvider.headers.get('location')!);
  const done = await browser.request(toCallback.headers.get('location')!);
  if (done.status !== 302) throw new Error(`login failed: ${done.status} ${await done.text()}`);
  return browser.cookie('skypool_session')!;
}
