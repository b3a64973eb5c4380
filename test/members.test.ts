import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { User } from '../src/identity/entities/user.entity.js';
import { LoginSessions } from '../src/identity/oidc/login-sessions.service.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { createProject } from './helpers/fixtures.js';
import { databaseKind } from './helpers/test-database.js';

describe(`project members and me on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let ada: User;
  beforeAll(async () => {
    t = await startTestBroker({ sites: '' });
    // users come from OIDC logins; here one is written directly, as a login would
    ada = await users().save({ issuer: 'https://idp.example.edu', subject: 'ada', email: 'ada@umich.edu', emailVerified: true, displayName: 'Ada' });
  }, 60_000);
  afterAll(() => t?.stop());

  const users = () => t.broker.app.get(DataSource).getRepository(User);
  /** The user's browser session, made as a login makes it; GraphQL with its cookie. */
  async function sessionOf(user: User) {
    const { token } = await t.broker.app.get(LoginSessions).create(t.broker.app.get(DataSource).manager, user.id);
    return async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: `skypool_session=${token}` }, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
    };
  }

  const project = (name: string) => createProject(t.admin, { name, institution: 'University of Michigan' });
  const members = async (id: string) => (await t.admin.data(`{ projects { id members { user { email } role source } } }`)).projects.find((p: { id: string }) => p.id === id).members;

  it('adds a member by email, changes the role, and removes them; each change is audited', async () => {
    const p = await project('membership');
    const added = await t.admin.data(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "ada@umich.edu", role: RESEARCHER }) { user { id email } role source } }`, { p });
    expect(added.addProjectMember).toEqual({ user: { id: ada.id, email: 'ada@umich.edu' }, role: 'RESEARCHER', source: 'manual' });
    await t.admin.data(`mutation($p: ID!, $u: ID) { addProjectMember(input: { projectId: $p, userId: $u, role: PROJECT_MANAGER }) { role } }`, { p, u: ada.id });
    expect(await members(p)).toEqual([{ user: { email: 'ada@umich.edu' }, role: 'PROJECT_MANAGER', source: 'manual' }]);
    expect((await t.admin.data(`mutation($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) }`, { p, u: ada.id })).removeProjectMember).toBe(true);
    expect((await t.admin.data(`mutation($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) }`, { p, u: ada.id })).removeProjectMember).toBe(false);
    expect(await members(p)).toEqual([]);
    const audit = (await t.admin.data(`{ auditEvents { action targetId } }`)).auditEvents.filter((e: { targetId: string }) => e.targetId === p);
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['member.remove', 'member.add', 'member.add', 'project.create']);
  });

  it('says what is wrong with a member to add', async () => {
    const p = await project('membership-errors');
    const unknown = await t.admin.request(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "nobody@nowhere", role: RESEARCHER }) { role } }`, { p });
    expect(unknown.errors?.[0]).toMatchObject({ message: expect.stringContaining('must have logged in once'), extensions: { code: 'NOT_FOUND' } });
    const admin = await t.admin.request(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "ada@umich.edu", role: FEDERATION_ADMIN }) { role } }`, { p });
    expect(admin.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'role' });
  });

  it('lets a project manager manage members of their project only', async () => {
    const mine = await project('managed');
    const other = await project('not-managed');
    const grace = await users().save({ issuer: 'https://idp.example.edu', subject: 'grace', email: 'grace@umich.edu', emailVerified: true });
    await t.admin.data(`mutation($p: ID!, $u: ID!) { addProjectMember(input: { projectId: $p, userId: $u, role: PROJECT_MANAGER }) { role } }`, { p: mine, u: grace.id });
    const asGrace = await sessionOf(grace);
    expect((await asGrace(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "ada@umich.edu", role: RESEARCHER }) { role } }`, { p: mine })).data.addProjectMember.role).toBe('RESEARCHER');
    const denied = await asGrace(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "ada@umich.edu", role: RESEARCHER }) { role } }`, { p: other });
    expect(denied.errors?.[0]).toMatchObject({ message: 'only a manager of that project (or an admin) may change its members', extensions: { code: 'FORBIDDEN' } });
  });

  it('lets no service account change members, not even a manager or a federation admin one', async () => {
    const p = await project('no-bots');
    for (const input of [`{ name: "pm", role: PROJECT_MANAGER, projectId: "${p}" }`, `{ name: "fa", role: FEDERATION_ADMIN }`]) {
      const { createServiceAccount } = await t.admin.data(`mutation { createServiceAccount(input: ${input}) { token } }`);
      const account = t.anonymous.withToken(createServiceAccount.token);
      for (const change of [
        `mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "ada@umich.edu", role: RESEARCHER }) { role } }`,
        `mutation($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) }`,
      ]) {
        const refused = await account.request(change, { p, u: ada.id });
        expect(refused.errors?.[0]).toMatchObject({ message: expect.stringContaining('a service account may not change project members'), extensions: { code: 'FORBIDDEN' } });
      }
    }
    expect(await members(p)).toEqual([]);
  });

  it('finds a user by email only when the identity provider verified the address', async () => {
    const p = await project('verified-only');
    // someone logged in at a provider that let them claim an address without proving it
    const impostor = await users().save({ issuer: 'https://social.example.com', subject: 'mallory', email: 'alan@umich.edu', emailVerified: false });
    const unverified = await t.admin.request(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "alan@umich.edu", role: RESEARCHER }) { user { id } } }`, { p });
    expect(unverified.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/no user has logged in with the verified address alan@umich.edu.*must have logged in once.*userId/),
      extensions: { code: 'NOT_FOUND' },
    });
    expect(await members(p)).toEqual([]);
    // the real Alan logs in with the address verified: he is the one found, the impostor never is
    const alan = await users().save({ issuer: 'https://idp.example.edu', subject: 'alan', email: 'alan@umich.edu', emailVerified: true });
    const added = await t.admin.data(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "alan@umich.edu", role: RESEARCHER }) { user { id } } }`, { p });
    expect(added.addProjectMember.user.id).toBe(alan.id);
    // by id, whoever gives it knows whom they mean
    expect((await t.admin.data(`mutation($p: ID!, $u: ID!) { addProjectMember(input: { projectId: $p, userId: $u, role: RESEARCHER }) { user { id } } }`, { p, u: impostor.id })).addProjectMember.user.id).toBe(impostor.id);
  });

  it('tells the bootstrap admin who they are', async () => {
    expect((await t.admin.data(`{ me { id kind roles { role project { id } } } }`)).me).toEqual({ id: 'bootstrap-admin', kind: 'bootstrap-admin', roles: [{ role: 'FEDERATION_ADMIN', project: null }] });
  });
});
