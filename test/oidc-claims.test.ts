import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { RoleGrant } from '../src/identity/entities/role-grant.entity.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { projectWithAllocation } from './helpers/fixtures.js';
import { FakeProvider, freePort, logInWithFake } from './helpers/oidc.js';
import { databaseKind } from './helpers/test-database.js';

const MAPPINGS = `
rules:
  - claim: eduperson_entitlement
    matches: '^urn:mace:egi\\.eu:group:(?<vo>[a-z0-9-]+):role=member#'
    grant: { role: RESEARCHER, project: '{vo}' }
  - claim: email
    matches: '@umich\\.edu$'
    grant: { role: RESEARCHER, institution: University of Michigan }
`;

describe(`roles from the identity provider's claims on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let fake: FakeProvider;
  const dir = mkdtempSync(join(tmpdir(), 'skypool-claims-'));
  const projects: Record<string, string> = {};

  beforeAll(async () => {
    writeFileSync(join(dir, 'mappings.yaml'), MAPPINGS);
    fake = await new FakeProvider().start();
    const port = await freePort();
    t = await startTestBroker({
      sites: 'sites/demo',
      env: {
        PORT: String(port),
        SKYPOOL_CLAIM_MAPPINGS: join(dir, 'mappings.yaml'),
        OIDC_ISSUER: fake.issuer,
        OIDC_CLIENT_ID: fake.clientId,
        OIDC_CLIENT_SECRET: fake.clientSecret,
        OIDC_REDIRECT_URL: `http://127.0.0.1:${port}/auth/callback`,
      },
    });
    for (const name of ['vo-alpha', 'vo-beta']) {
      projects[name] = await projectWithAllocation(t.admin, { name, institution: 'EGI' }, { vcpus: 8, memoryMiB: 16384 });
    }
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const logIn = (claims: Record<string, unknown>) => logInWithFake(t.url, fake, { sub: 'hedy', email: 'hedy@umich.edu', email_verified: true, ...claims });

  async function gql(session: string, query: string) {
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: `skypool_session=${session}` }, body: JSON.stringify({ query }) });
    return (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
  }
  const submit = (p: string) => `mutation { submitRequest(input: { projectId: "${p}", image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024, leaseHours: 1 }) { __typename } }`;

  it('gives the roles the claims map to at login, and takes them back when the claims change', async () => {
    const first = await logIn({ eduperson_entitlement: ['urn:mace:egi.eu:group:vo-alpha:role=member#aai.egi.eu', 'urn:mace:egi.eu:group:vo-missing:role=member#aai.egi.eu'] });
    const me = (await gql(first, '{ me { kind roles { role project { name } institution } } }')).data.me;
    expect(me.kind).toBe('user');
    expect(me.roles).toEqual(
      expect.arrayContaining([
        { role: 'RESEARCHER', project: { name: 'vo-alpha' }, institution: null },
        { role: 'RESEARCHER', project: null, institution: 'University of Michigan' },
      ]),
    );
    expect(me.roles).toHaveLength(2); // vo-missing names no project: skipped
    expect((await gql(first, submit(projects['vo-alpha']!))).data.submitRequest.__typename).toBe('ResourceRequest');
    expect((await gql(first, submit(projects['vo-beta']!))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // a manager gives hedy vo-beta by hand; the next login, with other entitlements, keeps that
    const userId = (await t.broker.app.get(DataSource).getRepository(RoleGrant).findOneByOrFail({ source: 'claims', projectId: projects['vo-alpha'] })).userId;
    await t.admin.data(`mutation { addProjectMember(input: { projectId: "${projects['vo-beta']}", userId: "${userId}", role: RESEARCHER }) { role } }`);
    const second = await logIn({ eduperson_entitlement: [] });
    expect((await gql(second, submit(projects['vo-alpha']!))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(second, submit(projects['vo-beta']!))).data.submitRequest.__typename).toBe('ResourceRequest');
  }, 60_000);

  it('maps an e-mail address only when the provider verified it', async () => {
    const session = await logInWithFake(t.url, fake, { sub: 'claims-impostor', email: 'someone@umich.edu', email_verified: false });
    expect((await gql(session, '{ me { roles { role institution } } }')).data.me.roles).toEqual([]);
  }, 30_000);
});
