import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { ManualClock } from '../src/common/clock.js';
import { LoginSession } from '../src/identity/entities/login-session.entity.js';
import { SignInLink } from '../src/identity/entities/sign-in-link.entity.js';
import { TokenSignIn } from '../src/identity/token-sign-in.service.js';
import { ADMIN_TOKEN, eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { createProject, projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import type { GraphqlClient } from './helpers/graphql-client.js';
import { Browser, FakeProvider, freePort, logInWithFake } from './helpers/oidc.js';
import { databaseKind } from './helpers/test-database.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const HOUR = 3_600_000;
const ME = `{ me { id kind name roles { role project { id } } } }`;

/*
 * The portal's sign-in without an identity provider: POST /auth/token turns an API token into the
 * session cookie, and the one-time link printed at start does the same as the federation
 * administrator. A session acts exactly as its token, checked again at every use.
 */
describe(`signing in with a token on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let fake: FakeProvider;
  /** Katherine, logged in through the identity provider: she makes the user tokens. */
  let katherine: GraphqlClient;
  let katherineId: string;
  let alpha: string;
  const sockets: Client[] = [];
  // the broker's time: the last tests move it, after Katherine's login session has made what they need
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    fake = await new FakeProvider().start();
    const port = await freePort();
    t = await startTestBroker({
      clock,
      env: { PORT: String(port), OIDC_ISSUER: fake.issuer, OIDC_CLIENT_ID: fake.clientId, OIDC_CLIENT_SECRET: fake.clientSecret, OIDC_REDIRECT_URL: `http://127.0.0.1:${port}/auth/callback` },
    });
    katherine = t.anonymous.withSession(await logInWithFake(t.url, fake, { sub: 'katherine', email: 'katherine@example.edu' }));
    katherineId = (await katherine.data(ME)).me.id.slice('user:'.length);
    alpha = await projectWithAllocation(t.admin, { name: 'portal-alpha', institution: 'NASA' }, { vcpus: 16, memoryMiB: 32768 });
    await addMember(alpha, 'PROJECT_MANAGER');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(sockets.map((c) => c.dispose()));
    await t?.stop();
    await fake?.close();
  });

  const db = () => t.broker.app.get(DataSource);
  const addMember = (projectId: string, role: string) =>
    t.admin.data(`mutation($p: ID!, $u: ID!, $r: Role!) { addProjectMember(input: { projectId: $p, userId: $u, role: $r }) { role } }`, { p: projectId, u: katherineId, r: role });

  /** POST /auth/token as the portal sends it, from a browser that keeps the cookie. */
  function signIn(browser: Browser, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> {
    return browser.request(`${t.url}/auth/token`, { method: 'POST', headers, body });
  }

  /** A browser session made from `token`, as a GraphQL client. */
  async function sessionOf(token: string): Promise<{ client: GraphqlClient; browser: Browser; cookie: string }> {
    const browser = new Browser();
    const res = await signIn(browser, JSON.stringify({ token }));
    if (res.status !== 204) throw new Error(`sign-in refused: ${res.status} ${await res.text()}`);
    const cookie = browser.cookie('skypool_session')!;
    return { client: t.anonymous.withSession(cookie), browser, cookie };
  }

  const serviceAccount = async (maker: GraphqlClient, input: string) => (await maker.data(`mutation { createServiceAccount(input: ${input}) { token } }`)).createServiceAccount.token as string;
  const userToken = async (input: string) => (await katherine.data(`mutation { createApiToken(input: ${input}) { token } }`)).createApiToken.token as string;
  /** Katherine's tokens by name. */
  const tokenNamed = async (name: string) => (await katherine.data(`{ apiTokens { id name parentTokenId } }`)).apiTokens.find((x: { name: string }) => x.name === name);
  const refusal = async (client: GraphqlClient) => (await client.request(ME)).errors?.[0];
  const issueLink = async () => `${t.url}/auth/link?code=${await t.broker.app.get(TokenSignIn).issueLink()}`;

  /** A browser's socket: the session cookie, and the broker's own page as its origin. */
  function subscribe(cookie: string, requestId: string, client?: Client) {
    const socket =
      client ??
      createClient({
        url: `${t.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: class extends WebSocket {
          constructor(url: string, protocols: string[]) {
            super(url, protocols, { headers: { cookie: `skypool_session=${cookie}`, origin: t.url } });
          }
        },
        retryAttempts: 0,
        lazy: true,
      });
    if (!client) sockets.push(socket);
    const results: any[] = [];
    const ended = new Promise<{ error?: any }>((resolve) =>
      socket.subscribe({ query: 'subscription($id: ID!) { requestUpdated(id: $id) { state } }', variables: { id: requestId } }, { next: (r) => void results.push(r), error: (error) => resolve({ error }), complete: () => resolve({}) }),
    );
    return { socket, results, ended };
  }

  it('exchanges the bootstrap admin token, a service account and a user token for the session cookie, which acts as the token', async () => {
    const tokens = {
      'bootstrap-admin': ADMIN_TOKEN,
      'service-account': await serviceAccount(t.admin, `{ name: "portal-bot", role: RESEARCHER, projectId: "${alpha}" }`),
      user: await userToken(`{ name: "portal", projectId: "${alpha}", role: RESEARCHER }`),
    };
    for (const [kind, token] of Object.entries(tokens)) {
      const { client, browser, cookie } = await sessionOf(token);
      expect(browser.attributes('skypool_session')).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/', `Max-Age=${12 * 3600}`]));
      expect(browser.attributes('skypool_session').join(';')).not.toMatch(/secure/i); // plain http
      const asSession = await client.data(ME);
      expect(asSession.me.kind).toBe(kind);
      expect(asSession).toEqual(await t.anonymous.withToken(token).data(ME));
      // the table holds the cookie's hash and the token's, never either of them
      const stored = await db().getRepository(LoginSession).findOneByOrFail({ tokenHash: sha256(cookie) });
      expect(stored).toMatchObject({ userId: null, credentialHash: sha256(token), expiresAt: new Date(clock.now().getTime() + 12 * HOUR) });
    }
    // behind a proxy that terminates TLS, the cookie is Secure
    const overHttps = new Browser();
    expect((await signIn(overHttps, JSON.stringify({ token: ADMIN_TOKEN }), { 'content-type': 'application/json', 'x-forwarded-proto': 'https' })).status).toBe(204);
    expect(overHttps.attributes('skypool_session')).toContain('Secure');
  });

  it('refuses an unknown or revoked token, and a body that is not a JSON token, in words and without a cookie', async () => {
    const revoked = await userToken(`{ name: "revoked-before-sign-in" }`);
    await katherine.data(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: (await tokenNamed('revoked-before-sign-in')).id });
    const cases: [string, string, Record<string, string>, number, object][] = [
      ['an unknown token', JSON.stringify({ token: 'sp_not-a-token' }), { 'content-type': 'application/json' }, 401, { error: 'token_refused', message: 'unknown or revoked token' }],
      ['a revoked token', JSON.stringify({ token: revoked }), { 'content-type': 'application/json' }, 401, { error: 'token_refused', message: 'unknown or revoked token' }],
      ['no token', JSON.stringify({ tokn: ADMIN_TOKEN }), { 'content-type': 'application/json' }, 400, { error: 'token_missing', message: expect.stringContaining('{"token": "<API token>"}') }],
      ['a token that is not a string', JSON.stringify({ token: 42 }), { 'content-type': 'application/json' }, 400, { error: 'token_missing' }],
      ['malformed JSON', `{"token": ${ADMIN_TOKEN}`, { 'content-type': 'application/json' }, 400, { error: 'invalid_json', message: expect.stringContaining('not valid JSON') }],
      // what an HTML form on another site can send: refused, so no page elsewhere can sign a visitor in (login CSRF)
      ['a form', new URLSearchParams({ token: ADMIN_TOKEN }).toString(), { 'content-type': 'application/x-www-form-urlencoded' }, 400, { error: 'json_required' }],
      ['text/plain', JSON.stringify({ token: ADMIN_TOKEN }), { 'content-type': 'text/plain' }, 400, { error: 'json_required', message: expect.stringContaining('Content-Type: application/json') }],
    ];
    for (const [what, body, headers, status, answer] of cases) {
      const browser = new Browser();
      const res = await signIn(browser, body, headers);
      const text = await res.text();
      expect([what, res.status, JSON.parse(text)]).toEqual([what, status, expect.objectContaining(answer)]);
      expect(text).not.toContain(ADMIN_TOKEN);
      expect([what, browser.cookie('skypool_session')]).toEqual([what, undefined]);
    }
  });

  it('authenticates GraphQL over HTTP and a subscription over graphql-ws with the cookie, and still refuses a simple cross-site POST', async () => {
    const { client, cookie } = await sessionOf(await serviceAccount(t.admin, `{ name: "portal-watcher", role: RESEARCHER, projectId: "${alpha}" }`));
    const requestId = await submitRequest(client, { projectId: alpha, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 1024, leaseHours: 1 });
    const watching = subscribe(cookie, requestId);
    await eventually(async () => watching.results[0]?.data?.requestUpdated.state, 'the state at subscription');

    // CSRF: what a page elsewhere can send without a preflight is refused, cookie or not
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': contentType, cookie: `skypool_session=${cookie}` }, body: JSON.stringify({ query: ME }) });
      expect([contentType, res.status]).toEqual([contentType, 400]);
      expect(await res.text()).toMatch(/CSRF/);
    }
    const get = await fetch(`${t.url}/graphql?query=${encodeURIComponent(ME)}`, { headers: { cookie: `skypool_session=${cookie}` } });
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/CSRF/);
  });

  it('ends the session at once when its token is revoked, or its maker may no longer make it: over HTTP and on open sockets', async () => {
    const { client, cookie } = await sessionOf(await userToken(`{ name: "revoked-in-session", projectId: "${alpha}", role: RESEARCHER }`));
    const requestId = await submitRequest(client, { projectId: alpha, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 1024, leaseHours: 1 });
    const first = subscribe(cookie, requestId);
    await eventually(async () => first.results.length || undefined, 'the state at subscription');

    await katherine.data(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: (await tokenNamed('revoked-in-session')).id });
    const problem = 'not authenticated: the token this session was made with no longer works: unknown or revoked token';
    expect(await refusal(client)).toMatchObject({ message: problem, extensions: { code: 'UNAUTHENTICATED' } });
    const second = subscribe(cookie, requestId, first.socket); // the socket is checked again before a new subscription
    const closed = { code: 4401, reason: expect.stringMatching(/^UNAUTHENTICATED: the token this session was made with no longer works/) };
    expect((await second.ended).error).toMatchObject(closed);
    expect((await first.ended).error).toMatchObject(closed);

    // a service account Katherine made as a manager of beta stops acting once she no longer manages beta
    const beta = await createProject(t.admin, { name: 'portal-beta', institution: 'NASA' });
    await addMember(beta, 'PROJECT_MANAGER');
    const account = await sessionOf(await serviceAccount(katherine, `{ name: "beta-bot", role: RESEARCHER, projectId: "${beta}" }`));
    expect((await account.client.data(ME)).me.kind).toBe('service-account');
    await t.admin.data(`mutation($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) }`, { p: beta, u: katherineId });
    expect(await refusal(account.client)).toMatchObject({ message: expect.stringMatching(/no longer works: who made this service account may no longer create it/), extensions: { code: 'UNAUTHENTICATED' } });
  }, 60_000);

  it("keeps the token's limits: the session calls only the token's operations and makes no token wider than it", async () => {
    const { client } = await sessionOf(await userToken(`{ name: "narrow", projectId: "${alpha}", role: RESEARCHER, operations: ["createApiToken", "me"], expiresInDays: 2 }`));
    expect((await client.data(ME)).me.roles).toEqual([{ role: 'RESEARCHER', project: { id: alpha } }]); // capped at the token's role, though she manages alpha
    expect(await client.request(`{ projects { id } }`)).toMatchObject({ status: 403, errors: [{ message: 'this token may not call projects; it may call only createApiToken, me' }] });
    const widenings: [string, string, RegExp][] = [
      ['a wider role', `{ name: "w", projectId: "${alpha}", role: PROJECT_MANAGER, operations: ["me"] }`, /^role: this token carries at most RESEARCHER/],
      ['no project', `{ name: "w", operations: ["me"] }`, /^projectId: this token is limited to project /],
      ['any operation', `{ name: "w", projectId: "${alpha}" }`, /^operations: this token may call only createApiToken, me/],
      ['a longer life', `{ name: "w", projectId: "${alpha}", operations: ["me"], expiresInDays: 3 }`, /^expiresInDays: this token expires at /],
    ];
    for (const [what, input, message] of widenings) {
      const res = await client.request(`mutation { createApiToken(input: ${input}) { token } }`);
      expect([what, res.errors?.[0]?.extensions?.code, res.errors?.[0]?.message]).toEqual([what, 'FORBIDDEN', expect.stringMatching(message)]);
    }
    // within its limits, made as a child of the token: revoking the token revokes it
    const child = t.anonymous.withToken((await client.data(`mutation { createApiToken(input: { name: "narrower", projectId: "${alpha}", operations: ["me"] }) { token } }`)).createApiToken.token);
    const narrow = await tokenNamed('narrow');
    expect((await tokenNamed('narrower')).parentTokenId).toBe(narrow.id);
    await katherine.data(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: narrow.id });
    expect((await refusal(child))?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('signs out: POST /auth/logout ends the session, and the token itself still works', async () => {
    const { client, browser, cookie } = await sessionOf(ADMIN_TOKEN);
    expect((await client.data(ME)).me.kind).toBe('bootstrap-admin');
    const res = await browser.request(`${t.url}/auth/logout`, { method: 'POST' });
    expect(res.status).toBe(204);
    expect(browser.cookie('skypool_session')).toBeUndefined();
    expect(await db().getRepository(LoginSession).countBy({ tokenHash: sha256(cookie) })).toBe(0);
    expect(await refusal(client)).toMatchObject({ message: expect.stringMatching(/session has ended/), extensions: { code: 'UNAUTHENTICATED' } });
    expect((await t.admin.data(ME)).me.kind).toBe('bootstrap-admin');
  });

  it('prints a sign-in link at start on the embedded database, and none with DATABASE_URL', async () => {
    if (databaseKind === 'postgresql') {
      expect(t.broker.signInLink).toBeUndefined();
      return;
    }
    expect(t.broker.signInLink).toMatch(new RegExp(`^${t.url}/auth/link\\?code=[A-Za-z0-9_-]{43}$`));
    const browser = new Browser();
    expect((await browser.request(t.broker.signInLink!)).status).toBe(302);
    expect((await t.anonymous.withSession(browser.cookie('skypool_session')!).data(ME)).me.kind).toBe('bootstrap-admin');
  });

  it('a sign-in link signs in once, as the federation administrator', async () => {
    const link = await issueLink();
    const browser = new Browser();
    const used = await browser.request(link);
    expect(used.status).toBe(302);
    expect(used.headers.get('location')).toBe('/');
    expect(browser.attributes('skypool_session')).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
    const cookie = browser.cookie('skypool_session')!;
    expect((await t.anonymous.withSession(cookie).data(ME)).me.kind).toBe('bootstrap-admin');
    expect(await db().getRepository(LoginSession).findOneByOrFail({ tokenHash: sha256(cookie) })).toMatchObject({ credentialHash: sha256(ADMIN_TOKEN) });

    const again = await new Browser().request(link);
    expect(again.status).toBe(401);
    expect(again.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(again.headers.getSetCookie()).toEqual([]);
    expect(await again.text()).toBe(
      databaseKind === 'embedded'
        ? 'this sign-in link has been used or has expired; restart the broker for a new one, or sign in with the token set in SKYPOOL_ADMIN_TOKEN\n'
        : 'this broker prints no sign-in links (it runs with DATABASE_URL); sign in with an API token\n',
    );
    for (const unknown of [`${t.url}/auth/link?code=not-a-code`, `${t.url}/auth/link`]) expect((await fetch(unknown, { redirect: 'manual' })).status).toBe(401);

    // five browsers with one link at once: one gets in
    const contested = await issueLink();
    const statuses = await Promise.all(Array.from({ length: 5 }, () => fetch(contested, { redirect: 'manual' }).then((r) => r.status)));
    expect(statuses.sort()).toEqual([302, 401, 401, 401, 401]);
    expect(await db().getRepository(SignInLink).count()).toBe(0); // a spent link leaves nothing behind
  });

  // the tests below move the broker's clock

  it('a sign-in link works for 15 minutes', async () => {
    const [early, late] = [await issueLink(), await issueLink()];
    clock.advance(15 * 60_000 - 1000);
    expect((await fetch(early, { redirect: 'manual' })).status).toBe(302);
    clock.advance(1000);
    const expired = await fetch(late, { redirect: 'manual' });
    expect(expired.status).toBe(401);
    expect(await expired.text()).toMatch(/has been used or has expired|prints no sign-in links/);
  });

  it('a session lasts 12 hours, or until its token expires if that comes first; an expired token is refused', async () => {
    const expiring = await userToken(`{ name: "expiring", projectId: "${alpha}", role: RESEARCHER, expiresInDays: 1 }`);
    const tokenExpiry = clock.now().getTime() + 24 * HOUR;
    const admin = await sessionOf(ADMIN_TOKEN);
    clock.advance(12 * HOUR - 1000);
    expect((await admin.client.data(ME)).me.kind).toBe('bootstrap-admin');
    clock.advance(1000);
    expect(await refusal(admin.client)).toMatchObject({ message: 'not authenticated: the login session has expired; sign in again with a token', extensions: { code: 'UNAUTHENTICATED' } });

    // 20 hours in, the token has 4 left: so has the session
    clock.advance(8 * HOUR);
    const short = await sessionOf(expiring);
    expect(short.browser.attributes('skypool_session')).toContain(`Max-Age=${4 * 3600}`);
    expect((await db().getRepository(LoginSession).findOneByOrFail({ tokenHash: sha256(short.cookie) })).expiresAt.getTime()).toBe(tokenExpiry);
    clock.advance(4 * HOUR - 1000);
    expect((await short.client.data(ME)).me.kind).toBe('user');
    clock.advance(1000);
    expect((await refusal(short.client))?.extensions?.code).toBe('UNAUTHENTICATED');
    const refused = await signIn(new Browser(), JSON.stringify({ token: expiring }));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'token_refused', message: 'the token has expired' });
  });
});
