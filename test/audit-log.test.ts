import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';

describe(`the audit log on the ${databaseKind} database`, () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  }, 60_000);
  afterAll(() => t?.stop());

  const events = async (action?: string) =>
    (await t.admin.data(`query($a: String) { auditEvents(action: $a) { id at actorId actorName action targetType targetId before after } }`, { a: action ?? null })).auditEvents;

  it('records who changed what, before and after, with secrets redacted', async () => {
    const secret = 'wJalrXUtnFEMI-audit-secret-value';
    const { registerSite } = await t.admin.data(
      `mutation($s: String!, $e: String!) { registerSite(input: { name: "audited", institution: "CERN", endpoint: $e, region: "r1", accessKeyId: "AKIA1", secretAccessKey: $s,
        capacity: { vcpus: 8, memoryMiB: 8192 }, instanceTypes: [{ name: "t1", vcpus: 1, memoryMiB: 1024 }], images: [{ image: "a", imageId: "ami-1" }] }) { id } }`,
      { s: secret, e: `${t.url}/emulator/umich` },
    );
    const { createProject } = await t.admin.data(`mutation { createProject(input: { name: "audit-me", institution: "CERN" }) { id } }`);
    const { grantAllocation } = await t.admin.data(`mutation($p: ID!) { grantAllocation(input: { projectId: $p, vcpus: 4, memoryMiB: 4096 }) { id } }`, { p: createProject.id });
    const { createServiceAccount } = await t.admin.data(`mutation($p: ID!) { createServiceAccount(input: { name: "bot", role: RESEARCHER, projectId: $p }) { token } }`, { p: createProject.id });

    const all = await events();
    const raw = JSON.stringify(all);
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(createServiceAccount.token);
    const byAction = (a: string, id: string) => all.find((e: { action: string; targetId: string }) => e.action === a && e.targetId === id);
    expect(byAction('site.register', registerSite.id)).toMatchObject({ actorId: 'bootstrap-admin', targetType: 'site', before: null, after: { name: 'audited', institution: 'CERN' } });
    expect(byAction('project.create', createProject.id)).toMatchObject({ after: { name: 'audit-me' } });
    expect(byAction('allocation.grant', grantAllocation.id)).toMatchObject({ after: { vcpus: 4, memoryMiB: 4096 } });
    const token = all.find((e: { action: string }) => e.action === 'serviceAccount.create');
    expect(token.after).toMatchObject({ name: 'bot', role: 'RESEARCHER', tokenHash: '[redacted]' });
    // the demo sites applied at start are recorded too, by the descriptors
    expect(all.filter((e: { action: string; actorId: string }) => e.action === 'site.register' && e.actorId === 'system:site-descriptors')).toHaveLength(3);
    // newest first, and filterable
    expect((await events('project.create')).every((e: { action: string }) => e.action === 'project.create')).toBe(true);
    expect(new Date(all[0].at).getTime()).toBeGreaterThanOrEqual(new Date(all[all.length - 1].at).getTime());

    const researcher = t.anonymous.withToken(createServiceAccount.token);
    const denied = await researcher.request(`{ auditEvents { id } }`);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
