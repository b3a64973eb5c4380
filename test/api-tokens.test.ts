import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import { GraphqlClient } from './helpers/graphql-client.js';
import { FakeProvider, freePort, logInWithFake } from './helpers/oidc.js';
import { databaseKind } from './helpers/test-database.js';

describe(`a user's own API tokens on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let fake: FakeProvider;
  let session: string;
  let userId: string;
  const projects: Record<string, string> = {};
  const sockets: Client[] = [];

  beforeAll(async () => {
    fake = await new FakeProvider().start();
    const port = await freePort();
    t = await startTestBroker({
      env: {
        // service accounts: 30 days unless told, 60 at most; sockets checked again every second
        SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS: '30',
        SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS: '60',
        SKYPOOL_SUBSCRIPTION_RECHECK_SECONDS: '1',
        PORT: String(port),
        OIDC_ISSUER: fake.issuer, OIDC_CLIENT_ID: fake.clientId, OIDC_CLIENT_SECRET: fake.clientSecret, OIDC_REDIRECT_URL: `http://127.0.0.1:${port}/auth/callback` },
    });
    session = await logInWithFake(t.url, fake, { sub: 'katherine', email: 'katherine@example.edu' });
    const me = await asSession(`{ me { id } }`);
    userId = me.data.me.id.slice('user:'.length);
    for (const [name, role] of [['tok-alpha', 'RESEARCHER'], ['tok-beta', 'PROJECT_MANAGER']] as const) {
      const projectId = await projectWithAllocation(t.admin, { name, institution: 'NASA' }, { vcpus: 8, memoryMiB: 16384 });
      await t.admin.data(`mutation($p: ID!, $u: ID!, $r: Role!) { addProjectMember(input: { projectId: $p, userId: $u, role: $r }) { role } }`, { p: projectId, u: userId, r: role });
      projects[name] = projectId;
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(sockets.map((c) => c.dispose()));
    await t?.stop();
    await fake?.close();
  });

  async function asSession(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: `skypool_session=${session}` }, body: JSON.stringify({ query, variables }) });
    return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
  }
  const submit = (p: string) => `mutation { submitRequest(input: { projectId: "${p}", image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024, leaseHours: 1 }) { __typename ... on ResourceRequest { id } } }`;
  const newToken = async (input: string) => {
    const res = await asSession(`mutation { createApiToken(input: ${input}) { token expiresAt } }`);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return new GraphqlClient(t.url, res.data.createApiToken.token);
  };
  /** A token made with another token. */
  const mintWith = async (parent: GraphqlClient, input: string) => new GraphqlClient(t.url, (await parent.data(`mutation { createApiToken(input: ${input}) { token } }`)).createApiToken.token);
  const accountWith = async (maker: GraphqlClient | 'session', input: string) => {
    const mutation = `mutation { createServiceAccount(input: ${input}) { token expiresAt } }`;
    const res = maker === 'session' ? await asSession(mutation) : await maker.request(mutation);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return { client: new GraphqlClient(t.url, res.data.createServiceAccount.token), expiresAt: Date.parse(res.data.createServiceAccount.expiresAt) };
  };
  /** The caller's tokens by name, as apiTokens lists them. */
  const listed = async () => new Map<string, any>((await asSession(`{ apiTokens { id name expiresAt revokedAt parentTokenId } }`)).data.apiTokens.map((x: { name: string }) => [x.name, x]));
  const authenticates = async (client: GraphqlClient) => (await client.request(`{ me { id } }`)).errors?.[0]?.extensions?.code ?? 'OK';
  const memberAs = (role: string) =>
    t.admin.data(`mutation($p: ID!, $u: ID!, $r: Role!) { addProjectMember(input: { projectId: $p, userId: $u, role: $r }) { role } }`, { p: projects['tok-beta'], u: userId, r: role });

  /** A subscription to a request over graphql-ws, with the token; how it ended. */
  function watch(token: string, requestId: string) {
    const client = createClient({ url: `${t.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: true });
    sockets.push(client);
    const results: any[] = [];
    const ended = new Promise<{ error?: any }>((resolve) =>
      client.subscribe({ query: 'subscription($id: ID!) { requestUpdated(id: $id) { state } }', variables: { id: requestId } }, { next: (r) => void results.push(r), error: (error) => resolve({ error }), complete: () => resolve({}) }),
    );
    return { results, ended };
  }

  it('acts as the user, only in its project and only for its operations', async () => {
    const token = await newToken(`{ name: "nightly", projectId: "${projects['tok-alpha']}", operations: ["submitRequest", "resourceRequest"], expiresInDays: 7 }`);
    const submitted = await token.data(submit(projects['tok-alpha']!));
    const { resourceRequest } = await token.data(`query($id: ID!) { resourceRequest(id: $id) { id } }`, { id: submitted.submitRequest.id });
    expect(resourceRequest.id).toBe(submitted.submitRequest.id);
    expect((await token.request(submit(projects['tok-beta']!))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN'); // outside its project
    const scoped = await token.request(`{ projects { id } }`);
    expect(scoped.status).toBe(403);
    expect(scoped.errors?.[0]).toMatchObject({ message: 'this token may not call projects; it may call only submitRequest, resourceRequest', extensions: { code: 'FORBIDDEN' } });
    // the request is the user's: the session cancels it as its submitter
    const cancelled = await asSession(`mutation($id: ID!) { cancelRequest(id: $id) { state } }`, { id: submitted.submitRequest.id });
    expect(['CANCELLED', 'TERMINATING']).toContain(cancelled.data.cancelRequest.state); // as far as it got: waiting, or placed
  });

  it("caps the user's roles at the token's role", async () => {
    const token = await newToken(`{ name: "capped", role: RESEARCHER }`);
    expect((await token.data(submit(projects['tok-beta']!))).submitRequest.__typename).toBe('ResourceRequest'); // a researcher there
    const asManager = await token.request(`mutation { createServiceAccount(input: { name: "x", role: RESEARCHER, projectId: "${projects['tok-beta']}" }) { token } }`);
    expect(asManager.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const uncapped = await newToken(`{ name: "manager", role: PROJECT_MANAGER }`);
    expect((await uncapped.data(`mutation { createServiceAccount(input: { name: "x", role: RESEARCHER, projectId: "${projects['tok-beta']}" }) { token } }`)).createServiceAccount.token).toMatch(/^sp_/);
  });

  it('lists tokens without their values, records their last use, and revokes them at once', async () => {
    const token = await newToken(`{ name: "to-revoke" }`);
    await token.data(`{ me { id } }`);
    const { apiTokens } = (await asSession(`{ apiTokens { id name kind role operations lastUsedAt revokedAt expiresAt } }`)).data;
    const listed = apiTokens.find((x: { name: string }) => x.name === 'to-revoke');
    expect(listed).toMatchObject({ kind: 'user', role: 'RESEARCHER', operations: null, revokedAt: null });
    expect(listed.lastUsedAt).toBeTruthy();
    expect(JSON.stringify(apiTokens)).not.toMatch(/sp_/);
    const revoked = (await asSession(`mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: listed.id })).data.revokeApiToken;
    expect(revoked.revokedAt).toBeTruthy();
    const after = await token.request(`{ me { id } }`);
    expect(after.errors?.[0]).toMatchObject({ message: expect.stringContaining('unknown or revoked token'), extensions: { code: 'UNAUTHENTICATED' } });
    // only its maker or a federation admin may revoke
    const other = await newToken(`{ name: "kept" }`);
    const otherId = (await asSession(`{ apiTokens { id name } }`)).data.apiTokens.find((x: { name: string }) => x.name === 'kept').id;
    const { createServiceAccount } = await t.admin.data(`mutation { createServiceAccount(input: { name: "pm", role: PROJECT_MANAGER, projectId: "${projects['tok-beta']}" }) { token } }`);
    const stranger = new GraphqlClient(t.url, createServiceAccount.token);
    expect((await stranger.request(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: otherId })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await other.data(`{ me { id } }`)).me.id).toMatch(/^user:/);
  });

  it('refuses what makes no sense', async () => {
    const unknown = await asSession(`mutation { createApiToken(input: { name: "x", operations: ["dropDatabase"] }) { token } }`);
    expect(unknown.errors?.[0]).toMatchObject({ message: 'operations: no operation is named "dropDatabase"', extensions: { code: 'BAD_USER_INPUT', field: 'operations' } });
    const serviceAccount = await t.admin.request(`mutation { createApiToken(input: { name: "x" }) { token } }`);
    expect(serviceAccount.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lets a token make only tokens no wider than itself: role, project, operations and expiry', async () => {
    const [alpha, beta] = [projects['tok-alpha']!, projects['tok-beta']!];
    const narrow = await newToken(`{ name: "narrow", projectId: "${alpha}", role: RESEARCHER, operations: ["createApiToken", "me", "submitRequest"], expiresInDays: 1 }`);
    const narrowExpiry = Date.parse((await listed()).get('narrow').expiresAt);
    const widenings: [string, string, RegExp][] = [
      ['the reported one: every role, ten years', `{ name: "w", role: FEDERATION_ADMIN, expiresInDays: 3650 }`, /./],
      ['a wider role', `{ name: "w", projectId: "${alpha}", role: PROJECT_MANAGER, operations: ["me"], expiresInDays: 1 }`, /role: this token carries at most RESEARCHER/],
      ['no project (all of the user’s)', `{ name: "w", operations: ["me"], expiresInDays: 1 }`, /projectId: this token is limited to project /],
      ['another project', `{ name: "w", projectId: "${beta}", operations: ["me"], expiresInDays: 1 }`, /projectId: this token is limited to project /],
      ['any operation', `{ name: "w", projectId: "${alpha}", expiresInDays: 1 }`, /operations: this token may call only createApiToken, me, submitRequest/],
      ['an operation it lacks', `{ name: "w", projectId: "${alpha}", operations: ["me", "projects"], expiresInDays: 1 }`, /operations: this token may not call projects/],
      ['a longer life', `{ name: "w", projectId: "${alpha}", operations: ["me"], expiresInDays: 2 }`, /expiresInDays: this token expires at /],
    ];
    for (const [what, input, message] of widenings) {
      const res = await narrow.request(`mutation { createApiToken(input: ${input}) { token } }`);
      expect([what, res.errors?.[0]?.extensions?.code, res.errors?.[0]?.message]).toEqual([what, 'FORBIDDEN', expect.stringMatching(message)]);
    }
    // within its limits; unset, the expiry is the parent's
    const child = await mintWith(narrow, `{ name: "narrower", projectId: "${alpha}", operations: ["me", "submitRequest"] }`);
    const made = (await listed()).get('narrower');
    expect(Date.parse(made.expiresAt)).toBe(narrowExpiry);
    expect((await child.data(submit(alpha))).submitRequest.__typename).toBe('ResourceRequest');
    expect((await child.request(submit(beta))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('gives a service account made with a token no more than the token: its operations, its expiry at the latest', async () => {
    const beta = projects['tok-beta']!;
    const manager = await newToken(`{ name: "manager-ops", projectId: "${beta}", role: PROJECT_MANAGER, operations: ["createServiceAccount", "me"], expiresInDays: 2 }`);
    const managerExpiry = Date.parse((await listed()).get('manager-ops').expiresAt);
    const tooLong = await manager.request(`mutation { createServiceAccount(input: { name: "sa", role: RESEARCHER, projectId: "${beta}", expiresInDays: 3 }) { token } }`);
    expect(tooLong.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^expiresInDays: this token expires at /), extensions: { code: 'FORBIDDEN' } });
    const account = await accountWith(manager, `{ name: "made-with-a-token", role: RESEARCHER, projectId: "${beta}" }`);
    expect(account.expiresAt).toBe(managerExpiry); // the default of 30 days, cut to the token's
    expect((await account.client.data(`{ me { kind } }`)).me.kind).toBe('service-account');
    expect((await account.client.request(submit(beta))).errors?.[0]).toMatchObject({ message: expect.stringContaining('may call only createServiceAccount, me'), extensions: { code: 'FORBIDDEN' } });
  });

  it('lets no service account make tokens, whatever its role', async () => {
    const beta = projects['tok-beta']!;
    const manager = (await accountWith(t.admin, `{ name: "pm-account", role: PROJECT_MANAGER, projectId: "${beta}" }`)).client;
    const federationAdmin = (await accountWith(t.admin, `{ name: "fa-account", role: FEDERATION_ADMIN }`)).client;
    for (const account of [manager, federationAdmin]) {
      const made = await account.request(`mutation { createServiceAccount(input: { name: "x", role: RESEARCHER, projectId: "${beta}" }) { token } }`);
      expect(made.errors?.[0]).toMatchObject({ message: expect.stringContaining('a service account may not create tokens'), extensions: { code: 'FORBIDDEN' } });
      expect((await account.request(`mutation { createApiToken(input: { name: "x" }) { token } }`)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('gives service accounts the configured lifetime unless told, and refuses one beyond the maximum', async () => {
    const beta = projects['tok-beta']!;
    const before = Date.now();
    const unset = await accountWith(t.admin, `{ name: "default-life", role: RESEARCHER, projectId: "${beta}" }`);
    expect(unset.expiresAt).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(unset.expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
    const longest = await accountWith(t.admin, `{ name: "longest-life", role: RESEARCHER, projectId: "${beta}", expiresInDays: 60 }`);
    expect(longest.expiresAt).toBeGreaterThanOrEqual(before + 60 * 86_400_000);
    const tooLong = await t.admin.request(`mutation { createServiceAccount(input: { name: "too-long", role: RESEARCHER, projectId: "${beta}", expiresInDays: 61 }) { token } }`);
    expect(tooLong.errors?.[0]).toMatchObject({ message: 'expiresInDays: must be a whole number from 1 to 60, got 61', extensions: { code: 'BAD_USER_INPUT', field: 'expiresInDays' } });
  });

  it('revokes with a token the tokens it made, generation after generation, and nothing else', async () => {
    const beta = projects['tok-beta']!;
    const first = await newToken(`{ name: "gen-1", role: PROJECT_MANAGER, expiresInDays: 30 }`);
    const sibling = await newToken(`{ name: "gen-1-sibling" }`);
    const second = await mintWith(first, `{ name: "gen-2", role: PROJECT_MANAGER, expiresInDays: 20 }`);
    const third = await mintWith(second, `{ name: "gen-3", expiresInDays: 10 }`);
    const fourth = await mintWith(third, `{ name: "gen-4", expiresInDays: 5 }`);
    const account = (await accountWith(second, `{ name: "gen-3-account", role: RESEARCHER, projectId: "${beta}" }`)).client;
    const family = [first, sibling, second, third, fourth, account];
    expect(await Promise.all(family.map(authenticates))).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'OK']);
    const before = await listed();
    expect(before.get('gen-3').parentTokenId).toBe(before.get('gen-2').id);
    expect(before.get('gen-3-account').parentTokenId).toBe(before.get('gen-2').id);
    expect(before.get('gen-1').parentTokenId).toBeNull(); // made with the session

    await asSession(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: before.get('gen-2').id });
    expect(await Promise.all(family.map(authenticates))).toEqual(['OK', 'OK', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    const after = await listed();
    const revokedAt = after.get('gen-2').revokedAt;
    for (const name of ['gen-3', 'gen-4', 'gen-3-account']) expect([name, after.get(name).revokedAt]).toEqual([name, revokedAt]); // in one transaction
    const audit = (await t.admin.data(`{ auditEvents(action: "apiToken.revoke", first: 1000) { action targetId } }`)).auditEvents;
    for (const name of ['gen-2', 'gen-3', 'gen-4', 'gen-3-account']) expect(audit).toContainEqual({ action: 'apiToken.revoke', targetId: after.get(name).id });

    await asSession(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: before.get('gen-1').id });
    expect(await Promise.all(family.map(authenticates))).toEqual(['UNAUTHENTICATED', 'OK', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
  });

  it('leaves no token made during a revocation alive: each is refused or revoked with its parent', async () => {
    const parent = await newToken(`{ name: "racing-parent", role: PROJECT_MANAGER, expiresInDays: 30 }`);
    const parentId = (await listed()).get('racing-parent').id;
    const mints = Array.from({ length: 40 }, (_, i) => parent.request<{ createApiToken: { token: string } }>(`mutation { createApiToken(input: { name: "racing-child-${i}", expiresInDays: 1 }) { token } }`));
    const revocation = asSession(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: parentId });
    const outcomes = await Promise.all(mints);
    await revocation;
    const made = outcomes.flatMap((o) => (o.data ? [new GraphqlClient(t.url, o.data.createApiToken.token)] : []));
    for (const o of outcomes) if (!o.data) expect(o.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await Promise.all(made.map(authenticates))).toEqual(made.map(() => 'UNAUTHENTICATED'));
  });

  it("ends a manager's service accounts and sockets in a project once she no longer manages it", async () => {
    const beta = projects['tok-beta']!;
    const account = (await accountWith('session', `{ name: "beta-bot", role: RESEARCHER, projectId: "${beta}" }`)).client;
    const own = await newToken(`{ name: "beta-watcher", role: PROJECT_MANAGER }`);
    const requestId = await submitRequest(account, { projectId: beta, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 1024, leaseHours: 1 });
    const [byAccount, byOwnToken] = [watch(account.token!, requestId), watch(own.token!, requestId)];
    await eventually(async () => (byAccount.results.length && byOwnToken.results.length) || undefined, 'both subscriptions under way');
    try {
      await t.admin.data(`mutation($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) }`, { p: beta, u: userId });
      const refused = await account.request(`{ me { id } }`);
      expect(refused.errors?.[0]).toMatchObject({ message: expect.stringMatching(/who made this service account may no longer/), extensions: { code: 'UNAUTHENTICATED' } });
      // the account's socket is closed as unauthenticated; her own token is still hers, but its roles shrank
      expect((await byAccount.ended).error).toMatchObject({ code: 4401, reason: expect.stringMatching(/^UNAUTHENTICATED: /) });
      expect((await byOwnToken.ended).error).toMatchObject({ code: 4403, reason: expect.stringMatching(/^FORBIDDEN: /) });
      // a manager again: the account works again (its maker's grant is checked at each use)
      await memberAs('PROJECT_MANAGER');
      expect(await authenticates(account)).toBe('OK');
    } finally {
      await memberAs('PROJECT_MANAGER');
    }
  }, 60_000);
});
