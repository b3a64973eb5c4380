import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { ManualClock } from '../src/common/clock.js';
import { SecretBox } from '../src/common/secret-box.js';
import { LoginSession } from '../src/identity/entities/login-session.entity.js';
import { RoleGrant } from '../src/identity/entities/role-grant.entity.js';
import { User } from '../src/identity/entities/user.entity.js';
import { eventually, SECRET_KEY, startTestBroker, type TestBroker } from './helpers/broker.js';
import { createProject, projectWithAllocation } from './helpers/fixtures.js';
import { Browser, FakeProvider, freePort, s256, signInAtProvider, signingKey, startRealProvider, type TokenContext } from './helpers/oidc.js';
import { databaseKind } from './helpers/test-database.js';

const CLIENT_ID = 'skypool';
const CLIENT_SECRET = 'real-provider-client-secret';
const SUBMIT = `mutation($p: ID!) { submitRequest(input: { projectId: $p, image: "rstudio-4", vcpus: 2, memoryMiB: 2048, leaseHours: 2 }) { __typename ... on ResourceRequest { id state } ... on UserError { code message } } }`;

describe(`OpenID Connect login on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let real: { issuer: string; close(): Promise<void> };
  let fake: FakeProvider;
  let callbackUrl: string;
  let projectId: string;
  const clock = new ManualClock(new Date()); // the broker's time; moved only by the last test
  const box = new SecretBox(Buffer.from(SECRET_KEY, 'hex'));

  beforeAll(async () => {
    // the provider must know the broker's callback before either starts
    const brokerPort = await freePort();
    callbackUrl = `http://127.0.0.1:${brokerPort}/auth/callback`;
    real = await startRealProvider({
      client: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [callbackUrl], token_endpoint_auth_method: 'client_secret_post' },
      accounts: { ada: { email: 'ada@example.edu', name: 'Ada Lovelace' }, alan: { email: 'alan@example.edu', name: 'Alan Turing' } },
    });
    fake = await new FakeProvider().start();
    t = await startTestBroker({
      clock,
      env: {
        PORT: String(brokerPort),
        OIDC_ISSUER: real.issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
        OIDC_CLIENT_SECRET: CLIENT_SECRET,
        OIDC_REDIRECT_URL: callbackUrl,
        // a second provider, with the shared redirect URL
        OIDC_PROVIDERS: 'fake',
        OIDC_FAKE_ISSUER: fake.issuer,
        OIDC_FAKE_CLIENT_ID: fake.clientId,
        OIDC_FAKE_CLIENT_SECRET: fake.clientSecret,
      },
    });
    projectId = await projectWithAllocation(t.admin, { name: 'oidc-climate', institution: 'University of Michigan' }, { vcpus: 64, memoryMiB: 262144 });
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await real?.close();
    await fake?.close();
  });

  const db = () => t.broker.app.get(DataSource);

  async function gql(session: string | undefined, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(session ? { cookie: `skypool_session=${session}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, ...((await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] }) };
  }

  /** GET /auth/login; the authorization request the broker sends the browser to. */
  async function startLogin(browser: Browser, query = ''): Promise<URL> {
    const res = await browser.request(`${t.url}/auth/login${query}`);
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!);
  }

  /** What the sealed login cookie holds (the test knows the deployment's key). */
  function loginCookie(browser: Browser): Record<string, unknown> {
    return JSON.parse(box.open(browser.cookie('skypool_login')!));
  }

  /** A whole login at the real provider; the session cookie. */
  async function logInAtRealProvider(account: string): Promise<{ browser: Browser; session: string }> {
    const browser = new Browser();
    const authorization = await startLogin(browser);
    const callback = await signInAtProvider(browser, authorization.href, account, callbackUrl);
    const res = await browser.request(callback);
    expect(res.status).toBe(302);
    return { browser, session: browser.cookie('skypool_session')! };
  }

  /** A login at the fake provider, whose token endpoint answers with `idToken`; the callback's answer. */
  async function callbackFromFake(idToken: (ctx: TokenContext) => Promise<string> | string, browser = new Browser()): Promise<Response> {
    fake.idToken = async (ctx) => idToken(ctx);
    const authorization = await startLogin(browser, '?provider=fake');
    const toCallback = await browser.request(authorization);
    expect(toCallback.status).toBe(302);
    return browser.request(toCallback.headers.get('location')!);
  }

  it('logs in through a real provider with PKCE, state and nonce, and the session cookie then authenticates GraphQL', async () => {
    const browser = new Browser();
    const authorization = await startLogin(browser, `?returnTo=${encodeURIComponent('/portal/requests?sort=new')}`);

    // the authorization request: code flow, PKCE S256, state and nonce
    expect(authorization.origin).toBe(real.issuer);
    const q = authorization.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: callbackUrl, scope: 'openid email profile', code_challenge_method: 'S256' });
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{32}$/);

    // ... whose secrets are in a sealed, httpOnly, SameSite=Lax cookie and nowhere else
    expect(browser.attributes('skypool_login')).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
    expect(browser.attributes('skypool_login').join(';')).not.toMatch(/secure/i); // the redirect URL is http
    const sealed = loginCookie(browser);
    expect(sealed).toMatchObject({ provider: 'default', handle: q.get('state'), nonce: q.get('nonce'), returnTo: '/portal/requests?sort=new' });
    expect(s256(sealed.codeVerifier as string)).toBe(q.get('code_challenge'));
    expect(browser.cookie('skypool_login')).not.toContain(sealed.codeVerifier as string);

    const callback = await signInAtProvider(browser, authorization.href, 'ada', callbackUrl);
    expect(callback.searchParams.get('state')).toBe(q.get('state'));

    // the provider requires PKCE: the code alone, or with another verifier, buys nothing
    const tokenRequest = (extra: Record<string, string>) =>
      fetch(`${real.issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: callbackUrl, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...extra }),
      });
    for (const extra of [{}, { code_verifier: 'x'.repeat(43) }] as Record<string, string>[]) {
      const refused = await tokenRequest(extra);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
    }

    // the browser comes back: a session, and off to where it was going
    const res = await browser.request(callback);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/portal/requests?sort=new');
    const session = browser.cookie('skypool_session')!;
    expect(session).toBeTruthy();
    expect(browser.attributes('skypool_session')).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
    expect(browser.cookie('skypool_login')).toBeUndefined();

    // the user, by issuer and subject, with the claims of the ID token and userinfo; the session stored as a hash
    const user = await db().getRepository(User).findOneByOrFail({ issuer: real.issuer, subject: 'ada' });
    expect(user).toMatchObject({ email: 'ada@example.edu', displayName: 'Ada Lovelace' });
    expect(user.lastLoginAt?.getTime()).toBe(clock.now().getTime());
    expect(user.lastClaims).toMatchObject({ sub: 'ada', iss: real.issuer, aud: CLIENT_ID, email: 'ada@example.edu' });
    expect(user.lastClaims).not.toHaveProperty('nonce');
    const stored = await db().getRepository(LoginSession).findBy({ userId: user.id });
    expect(stored).toHaveLength(1);
    expect(stored[0]!.tokenHash).toBe(createHash('sha256').update(session).digest('hex'));
    expect(stored[0]!.expiresAt.getTime()).toBe(clock.now().getTime() + 12 * 3_600_000);

    // the cookie authenticates as Ada: a member of nothing yet, then of the project
    const before = await gql(session, SUBMIT, { p: projectId });
    expect(before.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await db().getRepository(RoleGrant).insert({ userId: user.id, role: 'RESEARCHER', projectId, institution: null, source: 'manual' });
    const submitted = await gql(session, SUBMIT, { p: projectId });
    expect(submitted.errors).toBeUndefined();
    expect(submitted.data.submitRequest).toMatchObject({ __typename: 'ResourceRequest', state: 'PENDING' });

    // without the cookie: unauthenticated; with a bad bearer token next to it, the header is what counts
    const anonymous = await gql(undefined, SUBMIT, { p: projectId });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.errors?.[0]?.message).toMatch(/no credentials: .*log in at \/auth\/login/);
    const badBearer = await gql(session, SUBMIT, { p: projectId }, { authorization: 'Bearer sp_not-a-token' });
    expect(badBearer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // bearer tokens work as before
    expect((await t.admin.data(`{ projects { id } }`)).projects.map((p: { id: string }) => p.id)).toContain(projectId);
  }, 30_000);

  it('a second login of the same person finds the same user and adds a session', async () => {
    const { session: first } = await logInAtRealProvider('alan');
    const { session: second } = await logInAtRealProvider('alan');
    expect(second).not.toBe(first);
    const users = await db().getRepository(User).findBy({ issuer: real.issuer, subject: 'alan' });
    expect(users).toHaveLength(1);
    expect(await db().getRepository(LoginSession).countBy({ userId: users[0]!.id })).toBe(2);
  }, 30_000);

  it('refuses a callback whose state is not the one this browser started with', async () => {
    const browser = new Browser();
    const authorization = await startLogin(browser);
    const callback = await signInAtProvider(browser, authorization.href, 'ada', callbackUrl);
    callback.searchParams.set('state', 'A'.repeat(32));
    const res = await browser.request(callback);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'bad_state', message: expect.stringContaining('state') });
    expect(browser.cookie('skypool_session')).toBeUndefined();
    expect(browser.cookie('skypool_login')).toBeUndefined(); // spent, whatever happened
  }, 30_000);

  it('refuses a replayed callback (same code and state), and so would the provider', async () => {
    const browser = new Browser();
    const authorization = await startLogin(browser);
    const loginCookieHeader = `skypool_login=${browser.cookie('skypool_login')}`;
    const { codeVerifier } = loginCookie(browser);
    const callback = await signInAtProvider(browser, authorization.href, 'ada', callbackUrl);
    expect((await browser.request(callback)).status).toBe(302);

    // an attacker who kept the request, cookie and all
    const replay = await fetch(callback, { headers: { cookie: loginCookieHeader }, redirect: 'manual' });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'state_used' });
    expect(replay.headers.getSetCookie().some((c) => c.startsWith('skypool_session='))).toBe(false);
    // the same browser again: its login cookie is gone
    const again = await browser.request(callback);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ error: 'no_login' });
    // and the code is spent at the provider, even with the right verifier (another broker process would meet this)
    const spent = await fetch(`${real.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: callbackUrl, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code_verifier: codeVerifier as string }),
    });
    expect(spent.status).toBe(400);
  }, 30_000);

  it('logs in through a second provider; the token request carries the verifier and the client secret', async () => {
    const browser = new Browser();
    const res = await callbackFromFake((ctx) => fake.sign(fake.claims(ctx, { sub: 'grace' })), browser);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    expect(fake.lastTokenRequest?.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fake.lastTokenRequest?.get('client_secret')).toBe(fake.clientSecret);
    const user = await db().getRepository(User).findOneByOrFail({ issuer: fake.issuer, subject: 'grace' });
    expect(user).toMatchObject({ email: 'grace@example.edu', displayName: 'Grace Hopper' });
    expect(user.lastClaims).toMatchObject({ eduperson_entitlement: ['urn:mace:egi.eu:group:climate'] }); // from userinfo
    const me = await gql(browser.cookie('skypool_session'), `{ projects { id } }`);
    expect(me.errors).toBeUndefined();
  }, 30_000);

  describe('refuses an ID token that does not hold up', () => {
    const otherKey = signingKey('fake-key-1'); // same kid as the provider's key, another key
    const rogue = (ctx: TokenContext, overrides: Record<string, unknown> = {}) => fake.claims(ctx, { sub: 'mallory', ...overrides });

    it.each<[string, (ctx: TokenContext) => Promise<string> | string, string]>([
      ['with the nonce of another login', (ctx) => fake.sign(rogue(ctx, { nonce: 'A'.repeat(32) })), 'nonce_mismatch'],
      ['without a nonce', (ctx) => fake.sign(rogue(ctx, { nonce: undefined })), 'nonce_mismatch'],
      ['signed by a key that is not in the JWKS (same kid)', async (ctx) => fake.sign(rogue(ctx), (await otherKey).privateKey), 'signature_invalid'],
      ['signed by a key with a kid the JWKS does not have', async (ctx) => fake.sign(rogue(ctx), (await otherKey).privateKey, 'unknown-kid'), 'signature_invalid'],
      ['not signed at all (alg none)', (ctx) => fake.unsigned(rogue(ctx)), 'unsigned_id_token'],
      ['with a signature made by swapping in another payload', async (ctx) => swapPayload(await fake.sign(fake.claims(ctx)), rogue(ctx)), 'signature_invalid'],
      ['for another audience', (ctx) => fake.sign(rogue(ctx, { aud: 'another-client' })), 'wrong_audience'],
      ['authorized to another party', (ctx) => fake.sign(rogue(ctx, { aud: [ctx.clientId, 'another-client'], azp: 'another-client' })), 'wrong_audience'],
      ['from another issuer', (ctx) => fake.sign(rogue(ctx, { iss: 'https://idp.evil.example' })), 'wrong_issuer'],
      ['that has expired', (ctx) => fake.sign(rogue(ctx, { iat: Math.floor(ctx.now / 1000) - 900, exp: Math.floor(ctx.now / 1000) - 600 })), 'expired'],
      ['that is missing', () => '', 'no_id_token'],
      ['that is not a JWT', () => 'not.a.jwt', 'malformed_id_token'],
    ])('an ID token %s', async (_what, idToken, problem) => {
      const res = await callbackFromFake(idToken);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: string; message: string };
      expect(body).toEqual({ error: problem, message: expect.any(String) });
      expect(JSON.stringify(body)).not.toMatch(/\n\s+at /); // no stack trace
      expect(res.headers.getSetCookie().some((c) => c.startsWith('skypool_session='))).toBe(false);
      expect(await db().getRepository(User).countBy({ subject: 'mallory' })).toBe(0);
    }, 30_000);
  });

  it('refuses userinfo about another subject, and survives userinfo that is not a JSON object', async () => {
    try {
      fake.userinfo = () => ({ status: 200, body: JSON.stringify({ sub: 'someone-else', email: 'someone@example.edu' }) });
      const mismatch = await callbackFromFake((ctx) => fake.sign(fake.claims(ctx, { sub: 'mallory' })));
      expect(mismatch.status).toBe(401);
      expect(await mismatch.json()).toMatchObject({ error: 'userinfo_mismatch' });
      // bodies that would make passport-openidconnect throw from a socket callback
      for (const body of ['null', 'not json', '[1]']) {
        fake.userinfo = () => ({ status: 200, body });
        const res = await callbackFromFake((ctx) => fake.sign(fake.claims(ctx, { sub: 'mallory' })));
        expect([body, res.status]).toEqual([body, 502]);
        expect(await res.json()).toMatchObject({ error: 'provider_unavailable', message: expect.stringContaining('userinfo') });
      }
      expect(await db().getRepository(User).countBy({ subject: 'mallory' })).toBe(0);
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      fake.userinfo = undefined;
    }
  }, 30_000);

  it('refuses an authorization response that names another issuer (RFC 9207), and a provider error', async () => {
    const browser = new Browser();
    const authorization = await startLogin(browser, '?provider=fake');
    const back = new URL((await browser.request(authorization)).headers.get('location')!);
    back.searchParams.set('iss', real.issuer);
    const mixedUp = await browser.request(back);
    expect(mixedUp.status).toBe(401);
    expect(await mixedUp.json()).toMatchObject({ error: 'wrong_issuer' });

    const other = new Browser();
    const state = (await startLogin(other)).searchParams.get('state')!;
    const denied = await other.request(`${callbackUrl}?error=access_denied&error_description=${encodeURIComponent('the user said no')}&state=${state}`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: 'access_denied', message: 'the user said no' });
  }, 30_000);

  it('refuses returnTo outside this site, unknown providers, and misused routes', async () => {
    const offSite = ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'portal', '/ok\nLocation: x', 'javascript:alert(1)'];
    // paths that become "//evil.example" once normalised
    for (const returnTo of [...offSite, '/.//evil.example', '/..//evil.example/x', '/%2e%2e//evil.example']) {
      const res = await fetch(`${t.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
      expect([returnTo, res.status]).toEqual([returnTo, 400]);
      expect(await res.json()).toMatchObject({ error: 'invalid_return_to' });
    }
    const unknown = await fetch(`${t.url}/auth/login?provider=nope`, { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: 'unknown_provider', message: expect.stringContaining('default, fake') });
    const withCode = await new Browser().request(`${t.url}/auth/login?code=abc&state=def`);
    expect(withCode.status).toBe(400);
    expect(await withCode.json()).toMatchObject({ error: 'unexpected_parameters' });
    const bare = await fetch(`${t.url}/auth/callback?code=abc&state=def`, { redirect: 'manual' });
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ error: 'no_login' });
    const forged = await fetch(`${t.url}/auth/callback?code=abc&state=def`, { redirect: 'manual', headers: { cookie: 'skypool_login=v1.AAAA.BBBB.CCCC' } });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: 'bad_state' });
    // a browser that has started a login, at the callback without a code: not a new login
    const started = new Browser();
    await startLogin(started);
    const noCode = await started.request(`${t.url}/auth/callback`);
    expect(noCode.status).toBe(401);
    expect(await noCode.json()).toMatchObject({ error: 'no_code' });
  }, 30_000);

  it('logout ends the session: the cookie no longer authenticates', async () => {
    const { browser, session } = await logInAtRealProvider('ada');
    expect((await gql(session, `{ projects { id } }`)).errors).toBeUndefined();
    const res = await browser.request(`${t.url}/auth/logout`, { method: 'POST' });
    expect(res.status).toBe(204);
    expect(browser.cookie('skypool_session')).toBeUndefined();
    expect(await db().getRepository(LoginSession).countBy({ tokenHash: createHash('sha256').update(session).digest('hex') })).toBe(0);
    const after = await gql(session, `{ projects { id } }`);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(after.errors?.[0]?.message).toMatch(/session has ended/);
    // logging out twice, or without a session, is fine
    expect((await fetch(`${t.url}/auth/logout`, { method: 'POST' })).status).toBe(204);
  }, 30_000);

  it('sends the browser back to a path that stays a path once normalised', async () => {
    fake.idToken = async (ctx) => fake.sign(fake.claims(ctx, { sub: 'grace' }));
    const browser = new Browser();
    const authorization = await startLogin(browser, `?provider=fake&returnTo=${encodeURIComponent('/portal/./x/..//y?next=//evil.example')}`);
    const toCallback = await browser.request(authorization);
    const done = await browser.request(toCallback.headers.get('location')!);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/portal//y?next=//evil.example');
    expect(done.headers.get('location')).toMatch(/^\/(?![/\\])/); // a path: no host for a browser to read
  }, 30_000);

  it('records whether the provider verified the e-mail address, and finds people by verified addresses only', async () => {
    // Ada logged in at the real provider, which verifies addresses; Mallory claims hers at the other one
    await logInAtRealProvider('ada');
    const mallory = await callbackFromFake((ctx) => fake.sign(fake.claims(ctx, { sub: 'mallory-as-ada', email: 'ada@example.edu', email_verified: false })));
    expect(mallory.status).toBe(302);
    const ada = await db().getRepository(User).findOneByOrFail({ issuer: real.issuer, subject: 'ada' });
    expect(ada.emailVerified).toBe(true);
    expect((await db().getRepository(User).findOneByOrFail({ issuer: fake.issuer, subject: 'mallory-as-ada' })).emailVerified).toBe(false);
    // a provider that says nothing about it has not verified it
    await callbackFromFake((ctx) => fake.sign(fake.claims(ctx, { sub: 'silent', email: 'silent@example.edu' })));
    expect((await db().getRepository(User).findOneByOrFail({ issuer: fake.issuer, subject: 'silent' })).emailVerified).toBe(false);

    const verified = await createProject(t.admin, { name: 'oidc-verified', institution: 'University of Michigan' });
    const added = await t.admin.data(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "ada@example.edu", role: RESEARCHER }) { user { id } } }`, { p: verified });
    expect(added.addProjectMember.user.id).toBe(ada.id);
    const silent = await t.admin.request(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "silent@example.edu", role: RESEARCHER }) { user { id } } }`, { p: verified });
    expect(silent.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  }, 30_000);

  it("logout closes the session's sockets, and the socket opens no new subscription", async () => {
    const { browser, session } = await logInAtRealProvider('ada');
    const submitted = await gql(session, SUBMIT, { p: projectId });
    const requestId = submitted.data.submitRequest.id;
    const sockets: Client[] = [];
    const connect = (headers: Record<string, string>) => {
      // a browser's socket: the session cookie (and the page's origin) on the upgrade request
      const client = createClient({
        url: `${t.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: class extends WebSocket {
          constructor(url: string, protocols: string[]) {
            super(url, protocols, { headers });
          }
        },
        retryAttempts: 0,
        lazy: true,
      });
      sockets.push(client);
      return client;
    };
    const subscribe = (client: Client) => {
      const results: unknown[] = [];
      const ended = new Promise<{ error?: any }>((resolve) =>
        client.subscribe({ query: 'subscription($id: ID!) { requestUpdated(id: $id) { state } }', variables: { id: requestId } }, { next: (r) => void results.push(r), error: (error) => resolve({ error }), complete: () => resolve({}) }),
      );
      return { results, ended };
    };
    try {
      // a page of another site may not use the cookie
      const crossSite = subscribe(connect({ cookie: `skypool_session=${session}`, origin: 'https://evil.example' }));
      expect((await crossSite.ended).error).toMatchObject({ code: 4401, reason: expect.stringMatching(/^UNAUTHENTICATED: .*origin/) });

      const client = connect({ cookie: `skypool_session=${session}`, origin: t.url });
      const first = subscribe(client);
      await eventually(async () => first.results.length || undefined, 'the state at subscription');
      expect((await browser.request(`${t.url}/auth/logout`, { method: 'POST' })).status).toBe(204);
      const second = subscribe(client); // on the same socket, right after the logout
      const closed = { code: 4401, reason: expect.stringMatching(/^UNAUTHENTICATED: the login session has ended/) };
      expect((await second.ended).error).toMatchObject(closed);
      expect(second.results).toEqual([]);
      expect((await first.ended).error).toMatchObject(closed);
    } finally {
      await Promise.all(sockets.map((c) => c.dispose()));
    }
  }, 30_000);

  // last: it moves the broker's clock
  it('a session lasts 12 hours', async () => {
    const { session } = await logInAtRealProvider('ada');
    clock.advance(12 * 3_600_000 - 1000);
    expect((await gql(session, `{ projects { id } }`)).errors).toBeUndefined();
    clock.advance(1000);
    const expired = await gql(session, `{ projects { id } }`);
    expect(expired.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(expired.errors?.[0]?.message).toMatch(/session has expired/);
  }, 30_000);
});

/** A token with a valid signature over other claims: header and signature of one, payload of another. */
function swapPayload(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

