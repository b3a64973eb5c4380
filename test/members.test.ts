import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { User } from '../src/identity/entities/user.entity.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';

describe(`project members and me on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let ada: User;
  beforeAll(async () => {
    t = await startTestBroker({ sites: '' });
    // users come from OIDC logins; here one is written directly, as a login would
    ada = await t.broker.app.get(DataSource).getRepository(User).save({ issuer: 'https://idp.example.edu', subject: 'ada', email: 'ada@umich.edu', displayName: 'Ada' });
  }, 60_000);
  afterAll(() => t?.stop());

  const project = async (name: string) => (await t.admin.data(`mutation($n: String!) { createProject(input: { name: $n, institution: "University of Michigan" }) { id } }`, { n: name })).createProject.id as string;
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
    const { createServiceAccount } = await t.admin.data(`mutation($p: ID!) { createServiceAccount(input: { name: "pm", role: PROJECT_MANAGER, projectId: $p }) { token } }`, { p: mine });
    const pm = t.anonymous.withToken(createServiceAccount.token);
    expect((await pm.data(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "ada@umich.edu", role: RESEARCHER }) { role } }`, { p: mine })).addProjectMember.role).toBe('RESEARCHER');
    const denied = await pm.request(`mutation($p: ID!) { addProjectMember(input: { projectId: $p, email: "ada@umich.edu", role: RESEARCHER }) { role } }`, { p: other });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const me = (await pm.data(`{ me { kind name roles { role project { id } institution } projects { id } } }`)).me;
    expect(me).toEqual({ kind: 'service-account', name: 'pm', roles: [{ role: 'PROJECT_MANAGER', project: { id: mine }, institution: null }], projects: [{ id: mine }] });
  });

  it('tells the bootstrap admin who they are', async () => {
    expect((await t.admin.data(`{ me { id kind roles { role project { id } } } }`)).me).toEqual({ id: 'bootstrap-admin', kind: 'bootstrap-admin', roles: [{ role: 'FEDERATION_ADMIN', project: null }] });
  });
});
