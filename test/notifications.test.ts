import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { WebhookDispatcher } from '../src/accounting/notifications/webhook-dispatcher.js';
import { ManualClock } from '../src/common/clock.js';
import { LeaseNotices } from '../src/provisioning/lease-notices.js';
import { SiteHealthService } from '../src/sites/health/site-health.service.js';
import { ADMIN_TOKEN, startTestBroker, type TestBroker } from './helpers/broker.js';
import { expectExit, runCli } from './helpers/cli.js';
import { grantAllocation, projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import type { GraphqlClient } from './helpers/graphql-client.js';
import { manualTime } from './helpers/manual-time.js';
import { databaseKind } from './helpers/test-database.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const MINUTE = 60_000;
const MICHIGAN = 'University of Michigan';

/**
 * Notifications reach webhooks: each kind from where it happens, signed, once per event (a
 * threshold crossed is told once however often the charge pass runs), tried again with backoff
 * when the receiver fails, and not sent for kinds a webhook turned off. Time is a manual clock.
 */
describe(`notifications and webhooks on the ${databaseKind} database`, () => {
  let t: TestBroker;
  const clock = new ManualClock(new Date('2026-11-02T08:00:00Z'));
  const projectHook = new WebhookReceiver();
  const institutionHook = new WebhookReceiver();
  let project: string;
  let projectWebhookId: string;
  let researcher: GraphqlClient;

  const { until, charge, fail: failRequest } = manualTime(() => t, clock);
  const dispatch = () => t.broker.app.get(WebhookDispatcher).run();

  const register = (client: GraphqlClient, input: Record<string, unknown>) =>
    client.request<{ registerWebhook: { secret: string; webhook: { id: string; kinds: string[] } } }>(
      'mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret webhook { id kinds } } }',
      { i: input },
    );

  beforeAll(async () => {
    const never = '0 0 0 1 1 *';
    t = await startTestBroker({
      clock,
      env: { SKYPOOL_ALLOCATOR_CRON: never, SKYPOOL_RECONCILE_CRON: never, SKYPOOL_CHARGE_CRON: never, SKYPOOL_WEBHOOK_CRON: never, SKYPOOL_HEALTH_CRON: never, SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '60000', SKYPOOL_WEBHOOK_RETRY_SECONDS: '60', SKYPOOL_WEBHOOK_MAX_ATTEMPTS: '3' },
    });
    // 1 core-hour: a 2-vCPU instance uses half of it in 15 minutes
    project = await projectWithAllocation(t.admin, { name: 'climate', institution: MICHIGAN }, { vcpus: 16, memoryMiB: 65536, coreHours: 1 });
    const token = async (input: string) => (await t.admin.data(`mutation { createServiceAccount(input: ${input}) { token } }`)).createServiceAccount.token as string;
    researcher = t.anonymous.withToken(await token(`{ name: "climate researcher", role: RESEARCHER, projectId: "${project}" }`));
    const manager = t.anonymous.withToken(await token(`{ name: "climate manager", role: PROJECT_MANAGER, projectId: "${project}" }`));
    const siteAdmin = t.anonymous.withToken(await token(`{ name: "michigan admin", role: SITE_ADMIN, institution: "${MICHIGAN}" }`));

    const byManager = await register(manager, { projectId: project, url: await projectHook.start() });
    projectHook.secret = byManager.data!.registerWebhook.secret;
    projectWebhookId = byManager.data!.registerWebhook.webhook.id;
    const bySiteAdmin = await register(siteAdmin, { institution: MICHIGAN, url: await institutionHook.start(), kinds: ['SITE_DOWN'] });
    institutionHook.secret = bySiteAdmin.data!.registerWebhook.secret;
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await projectHook.stop();
    await institutionHook.stop();
  });

  it('lets managers register webhooks, with a secret shown once, and no one else', async () => {
    expect(projectHook.secret).toMatch(/^whsec_/);
    const refused = await register(researcher, { projectId: project, url: 'http://127.0.0.1:9/x' });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const otherInstitution = await register(researcher, { institution: 'University of Edinburgh', url: 'http://127.0.0.1:9/x' });
    expect(otherInstitution.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const notHttp = await register(t.admin, { projectId: project, url: 'file:///etc/passwd' });
    expect(notHttp.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'url' } });
    const both = await register(t.admin, { projectId: project, institution: MICHIGAN, url: 'http://127.0.0.1:9/x' });
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const { webhooks } = await t.admin.data('query($p: ID) { webhooks(projectId: $p) { id url kinds } }', { p: project });
    expect(webhooks).toEqual([expect.objectContaining({ id: projectWebhookId, kinds: expect.arrayContaining(['BUDGET_50', 'REQUEST_FAILED', 'SITE_DOWN']) })]);
    expect(JSON.stringify(webhooks)).not.toContain('whsec_');
  });

  it('tells of each budget threshold once, signed, as the charges cross it', async () => {
    const request = await submitRequest(t.admin, { projectId: project, image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 4096, leaseHours: 0.5, sites: ['umich'] });
    await until(request, 'RUNNING');
    clock.advance(16 * MINUTE); // 17 started minutes x 2 vCPUs = 34 of 60 vCPU-minutes
    await charge();
    await charge();
    await dispatch();
    expect(projectHook.accepted().map((d) => d.kind)).toEqual(['BUDGET_50']);
    const [first] = projectHook.accepted();
    expect(first).toMatchObject({ signed: true, attempt: 1, body: { kind: 'BUDGET_50', projectId: project, institution: MICHIGAN } });
    expect(first!.body.subject).toMatch(/^project climate: 5\d% of the budget of allocation [0-9a-f-]{36} is used$/);
    expect(first!.eventId).toBe(first!.body.id);

    clock.advance(10 * MINUTE); // 54 of 60: 90%
    await Promise.all([charge(), charge()]);
    await dispatch();
    clock.advance(5 * MINUTE); // over the budget: 100%, and the allocation has ended
    await charge();
    await dispatch();
    expect(projectHook.accepted().map((d) => d.kind)).toEqual(['BUDGET_50', 'BUDGET_80', 'BUDGET_100', 'ALLOCATION_ENDED']);
    expect(projectHook.accepted('ALLOCATION_ENDED')[0]!.body.subject).toMatch(/used up its budget/);
    expect(projectHook.received.every((d) => d.signed)).toBe(true);
    expect(institutionHook.received).toEqual([]); // it hears of SITE_DOWN only

    const { notifications } = await researcher.data('{ notifications { kind subject } }');
    expect(notifications.map((n: { kind: string }) => n.kind)).toEqual(['ALLOCATION_ENDED', 'BUDGET_100', 'BUDGET_80', 'BUDGET_50']);
  });

  it('tries a failed delivery again after a backoff, with the same event id, and gives up after the last attempt', async () => {
    await grantAllocation(t.admin, project, { vcpus: 16, memoryMiB: 65536 });
    const waiting = await submitRequest(t.admin, { projectId: project, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 2048, leaseHours: 1, sites: ['umich'] });
    projectHook.answers.push(500);
    await failRequest(waiting, 'the test failed it');
    await dispatch();
    const [refused] = projectHook.received.filter((d) => d.kind === 'REQUEST_FAILED');
    expect(refused).toMatchObject({ status: 500, attempt: 1 });
    await dispatch();
    expect(projectHook.received.filter((d) => d.kind === 'REQUEST_FAILED')).toHaveLength(1); // not before the backoff
    clock.advance(67 * 1000); // 60 s, and up to a tenth more
    await dispatch();
    const tries = projectHook.received.filter((d) => d.kind === 'REQUEST_FAILED');
    expect(tries.map((d) => [d.status, d.attempt, d.eventId])).toEqual([
      [500, 1, refused!.eventId],
      [204, 2, refused!.eventId],
    ]);
    expect(tries[1]!.body).toMatchObject({ projectId: project, details: { requestId: waiting, reason: 'the test failed it' } });

    // a receiver that keeps failing: 3 attempts (SKYPOOL_WEBHOOK_MAX_ATTEMPTS), 60 s then 120 s apart, then given up
    const doomed = await submitRequest(t.admin, { projectId: project, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 2048, leaseHours: 1, sites: ['umich'] });
    projectHook.answers.push(503, 503, 503, 503);
    await failRequest(doomed, 'failed again');
    for (const wait of [0, 67, 133, 300, 600]) {
      clock.advance(wait * 1000);
      await dispatch();
    }
    const doomedTries = projectHook.received.filter((d) => d.body.details.requestId === doomed);
    expect(doomedTries.map((d) => [d.status, d.attempt])).toEqual([
      [503, 1],
      [503, 2],
      [503, 3],
    ]);
    const [delivery] = await t.broker.app.get(DataSource).query('SELECT state, attempts, last_error FROM webhook_delivery WHERE notification_id = $1', [doomedTries[0]!.eventId]);
    expect(delivery).toEqual({ state: 'FAILED', attempts: 3, last_error: 'the receiver answered HTTP 503' });
    projectHook.answers.length = 0;
  });

  it('sends no kind a webhook turned off, and tells an institution of its site going DOWN', async () => {
    const { setWebhookKinds } = await t.admin.data('mutation($id: ID!) { setWebhookKinds(id: $id, kinds: [REQUEST_FAILED, SITE_DOWN]) { kinds } }', { id: projectWebhookId });
    expect(setWebhookKinds.kinds).toEqual(['REQUEST_FAILED', 'SITE_DOWN']);
    const running = await submitRequest(t.admin, { projectId: project, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 2048, leaseHours: 0.5, sites: ['umich'] });
    await until(running, 'RUNNING');
    expect(await t.broker.app.get(LeaseNotices).warnEndingLeases()).toBe(1);

    const health = t.broker.app.get(SiteHealthService);
    const [umich] = await t.broker.app.get(DataSource).query(`SELECT id FROM site WHERE name = 'umich'`);
    for (let i = 0; i < 3; i++) await health.record(umich.id, { ok: false, latencyMs: null, category: 'transient', message: 'connection refused' });
    await health.record(umich.id, { ok: false, latencyMs: null, category: 'transient', message: 'connection refused' }); // still DOWN: told once
    await dispatch();

    const { notifications } = await t.admin.data('{ notifications(first: 3) { kind } }');
    expect(notifications.map((n: { kind: string }) => n.kind)).toEqual(['SITE_DOWN', 'LEASE_ENDING', 'REQUEST_FAILED']);
    expect(projectHook.received.filter((d) => d.kind === 'LEASE_ENDING')).toEqual([]);
    expect(institutionHook.accepted().map((d) => [d.kind, d.signed, d.body.institution])).toEqual([['SITE_DOWN', true, MICHIGAN]]);
    expect(institutionHook.accepted()[0]!.body.subject).toMatch(/^site umich is DOWN: /);
    // the project's webhook hears of its institution's site? no: a site's notice goes to its institution
    expect(projectHook.received.filter((d) => d.kind === 'SITE_DOWN')).toEqual([]);
    // researchers do not see their institution's sites' notices
    const { notifications: researchers } = await researcher.data('{ notifications { kind } }');
    expect(researchers.map((n: { kind: string }) => n.kind)).not.toContain('SITE_DOWN');
  });

  it('manages webhooks and lists notifications from the command line', async () => {
    const env = { SKYPOOL_URL: t.url, SKYPOOL_TOKEN: ADMIN_TOKEN };
    const added = await runCli(['webhooks', 'add', '--project', 'climate', '--to', 'http://127.0.0.1:9/cli-hook', '--kind', 'site_down', '--kind', 'budget-80', '--json'], env);
    expectExit(added, 0);
    const { secret, webhook } = JSON.parse(added.stdout);
    expect(secret).toMatch(/^whsec_/);
    expect(webhook.kinds).toEqual(['SITE_DOWN', 'BUDGET_80']);
    const listed = await runCli(['webhooks', 'list', '--project', 'climate'], env);
    expectExit(listed, 0);
    expect(listed.stdout).toMatch(new RegExp(`^${webhook.id}\\s+http://127\\.0\\.0\\.1:9/cli-hook\\s+SITE_DOWN,BUDGET_80$`, 'm'));
    expect(listed.stdout).not.toContain('whsec_');
    expectExit(await runCli(['webhooks', 'remove', webhook.id], env), 0);
    expect((await runCli(['webhooks', 'list', '--project', 'climate'], env)).stdout).not.toContain(webhook.id);

    const notifications = await runCli(['notifications', '--limit', '2'], env);
    expectExit(notifications, 0);
    expect(notifications.stdout.split('\n')[0]).toMatch(/^AT\s+KIND\s+SUBJECT$/);
    expect(notifications.stdout).toMatch(/SITE_DOWN\s+site umich is DOWN/);

    const wrongKind = await runCli(['webhooks', 'add', '--project', 'climate', '--to', 'http://127.0.0.1:9/x', '--kind', 'planet'], env);
    expectExit(wrongKind, 2);
    expect(wrongKind.stderr).toMatch(/--kind: one of BUDGET_50, /);
    const badUrl = await runCli(['webhooks', 'add', '--project', 'climate', '--to', 'ftp://example.edu/x'], env);
    expectExit(badUrl, 1);
    expect(badUrl.stderr).toMatch(/--to: must be an http\(s\) URL/);
  });

  it('tells of an allocation ending soon, once, and of its end', async () => {
    const endsAt = new Date(clock.now().getTime() + 3 * 24 * 3_600_000 + 60_000);
    const ending = await grantAllocation(t.admin, project, { vcpus: 1, memoryMiB: 1024, endsAt: endsAt.toISOString() });
    await charge();
    await charge();
    const about = async () =>
      (await t.admin.data('{ notifications(first: 500) { kind subject details } }')).notifications.filter((n: { details: { allocationId?: string } }) => n.details.allocationId === ending);
    expect(await about()).toEqual([expect.objectContaining({ kind: 'ALLOCATION_ENDING', subject: `project climate: allocation ${ending} ends at ${endsAt.toISOString()}, in 4 days` })]);
    clock.advance(4 * 24 * 3_600_000);
    await charge();
    await charge();
    expect((await about()).map((n: { kind: string; subject: string }) => [n.kind, n.subject])).toEqual([
      ['ALLOCATION_ENDED', `project climate: allocation ${ending} ended at ${endsAt.toISOString()}`],
      ['ALLOCATION_ENDING', `project climate: allocation ${ending} ends at ${endsAt.toISOString()}, in 4 days`],
    ]);
  });

  it('deletes notifications and their settled deliveries after the retention (90 days), keeping a delivery still being tried', async () => {
    const db = t.broker.app.get(DataSource);
    const [before] = await db.query('SELECT count(*)::int AS n FROM notification');
    expect(before.n).toBeGreaterThan(5);
    const pending = await submitRequest(t.admin, { projectId: project, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 2048, leaseHours: 1, sites: ['umich'] });
    projectHook.refusing = true;
    await failRequest(pending, 'still being told');
    await dispatch();
    clock.advance(91 * 24 * 3_600_000);
    await charge();
    const left: { kind: string; state: string }[] = await db.query('SELECT n.kind, d.state FROM notification n LEFT JOIN webhook_delivery d ON d.notification_id = n.id ORDER BY n.id');
    expect(left).toEqual([{ kind: 'REQUEST_FAILED', state: 'PENDING' }]);
    projectHook.refusing = false;
  });
});

describe(`webhooks into private networks on the ${databaseKind} database`, () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ env: { SKYPOOL_WEBHOOK_ALLOW_PRIVATE: 'false' } });
  }, 60_000);
  afterAll(() => t?.stop());

  it('refuses a URL that reaches this machine or a private network, unless the operator allows it', async () => {
    const project = await projectWithAllocation(t.admin, { name: 'guarded', institution: MICHIGAN }, { vcpus: 1, memoryMiB: 1024 });
    for (const [url, address] of [
      ['http://127.0.0.1:9/hook', '127.0.0.1'],
      ['http://[::1]:9/hook', '::1'],
      ['http://localhost:9/hook', '(127.0.0.1|::1)'],
      ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ]) {
      const res = await t.admin.request('mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret } }', { i: { projectId: project, url } });
      expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'url' } });
      expect(res.errors?.[0]?.message).toMatch(new RegExp(`^url: reaches ${address.replace(/\./g, '\\.')}, a loopback, private or link-local address; the operator allows those with SKYPOOL_WEBHOOK_ALLOW_PRIVATE=true$`));
    }
  });
});
