import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { GraphqlClient } from './helpers/graphql-client.js';
import { FakeProvider, freePort, logInWithFake } from './helpers/oidc.js';
import { databaseKind } from './helpers/test-database.js';

describe(`a user's own API tokens on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let fake: FakeProvider;
  let session: string;
  const projects: Record<string, string> = {};

  beforeAll(async () => {
    fake = await new FakeProvider().start();
    const port = await freePort();
    t = await startTestBroker({
      env: { PORT: String(port), OIDC_ISSUER: fake.issuer, OIDC_CLIENT_ID: fake.clientId, OIDC_CLIENT_SECRET: fake.clientSecret, OIDC_REDIRECT_URL: `http://127.0.0.1:${port}/auth/callback` },
    });
    session = await logInWithFake(t.url, fake, { sub: 'katherine', email: 'katherine@example.edu' });
    const me = await asSession(`{ me { id } }`);
    const userId = me.data.me.id.slice('user:'.length);
    for (const [name, role] of [['tok-alpha', 'RESEARCHER'], ['tok-beta', 'PROJECT_MANAGER']] as const) {
      const { createProject } = await t.admin.data(`mutation($n: String!) { createProject(input: { name: $n, institution: "NASA" }) { id } }`, { n: name });
      await t.admin.data(`mutation($p: ID!) { grantAllocation(input: { projectId: $p, vcpus: 8, memoryMiB: 16384 }) { id } }`, { p: createProject.id });
      await t.admin.data(`mutation($p: ID!, $u: ID!, $r: Role!) { addProjectMember(input: { projectId: $p, userId: $u, role: $r }) { role } }`, { p: createProject.id, u: userId, r: role });
      projects[name] = createProject.id;
    }
  }, 60_000);
  afterAll(async () => {
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
});
