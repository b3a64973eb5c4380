import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccountingScheduler } from '../src/accounting/accounting.scheduler.js';
import { AllocatorCycleService } from '../src/allocator/allocator-cycle.service.js';
import { ManualClock } from '../src/common/clock.js';
import { ProvisioningScheduler } from '../src/provisioning/provisioning.scheduler.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { createProject, grantAllocation, type AllocationInput } from './helpers/fixtures.js';
import { databaseKind } from './helpers/test-database.js';

/**
 * Budgets run down with real run time, per started minute, charged exactly once; a request that
 * would overspend waits or is refused; an allocation that ends lets leases finish or, when asked,
 * ends what it no longer covers after a grace period. Time is a manual clock.
 */
describe(`budgets and the end of allocations on the ${databaseKind} database`, () => {
  let t: TestBroker;
  const clock = new ManualClock(new Date());
  const minutes = (n: number) => clock.advance(n * 60_000);
  const db = () => t.broker.app.get(DataSource);

  beforeAll(async () => {
    // the schedules stay out of the way: the test runs each pass itself
    const never = '0 0 0 1 1 *';
    t = await startTestBroker({ clock, env: { SKYPOOL_ALLOCATOR_CRON: never, SKYPOOL_RECONCILE_CRON: never, SKYPOOL_CHARGE_CRON: never, SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '60000' } });
  }, 60_000);
  afterAll(() => t?.stop());

  const allocate = () => t.broker.app.get(AllocatorCycleService).run();
  const charge = () => t.broker.app.get(AccountingScheduler).run();

  /** Runs the allocator and the reconciler, moving the clock a few seconds at a time, until the request is in `state`. */
  async function until(requestId: string, state: string): Promise<{ state: string; reason: string | null; reasonCode: string | null }> {
    for (let i = 0; i < 40; i++) {
      const { resourceRequest } = await t.admin.data('query($id: ID!) { resourceRequest(id: $id) { state reason reasonCode } }', { id: requestId });
      if (resourceRequest.state === state) return resourceRequest;
      clock.advance(3000);
      await allocate();
      await t.broker.app.get(ProvisioningScheduler).reconcileNow();
    }
    throw new Error(`request ${requestId} never reached ${state}`);
  }

  async function project(name: string, allocation: AllocationInput): Promise<{ id: string; allocationId: string }> {
    const id = await createProject(t.admin, { name, institution: 'University of Michigan' });
    return { id, allocationId: await grantAllocation(t.admin, id, allocation) };
  }

  const SUBMIT = `mutation($p: ID!, $lease: Float!) { submitRequest(input: { projectId: $p, image: "ubuntu-22.04", vcpus: 2, memoryMiB: 2048, leaseHours: $lease, sites: ["umich"] }) {
    __typename ... on ResourceRequest { id } ... on QuotaExceededError { limit requested allowed message } } }`;
  const submit = async (p: string, lease: number) => (await t.admin.data(SUBMIT, { p, lease })).submitRequest;
  const usage = async (p: string) =>
    (await t.admin.data('{ projects { id usage { coreHoursLeft coreHoursPromised coreHoursUsed fairShareUsage } } }')).projects.find((x: { id: string }) => x.id === p).usage;
  const chargedMinutes = async (requestId: string) => {
    const [row] = await db().query(
      `SELECT i.charged_minutes, (SELECT coalesce(sum(minutes), 0) FROM usage_record u WHERE u.instance_id = i.id) AS recorded,
              ceil(extract(epoch FROM least(coalesce(i.ended_at, $2), $2) - i.started_at) / 60) AS due
         FROM instance i WHERE i.request_id = $1`,
      [requestId, clock.now()],
    );
    return { charged: Number(row.charged_minutes), recorded: Number(row.recorded), due: Number(row.due) };
  };

  it('holds back a request the budget left cannot pay for, charges run time once, and lets it run when budget frees', async () => {
    const { id: p } = await project('budgeted', { vcpus: 16, memoryMiB: 65536, coreHours: 10 });
    const first = await submit(p, 4); // m1.medium: 2 vCPUs x 4 h = 8 core-hours of the 10
    await until(first.id, 'RUNNING');

    const second = await submit(p, 2); // 4 more core-hours: only 2 are free
    const waiting = await until(second.id, 'QUEUED');
    expect(waiting.reasonCode).toBe('BUDGET');
    expect(waiting.reason).toMatch(/^project budget: 2(\.0\d)? core-hours free \(10 left, (7\.99|8) promised to running leases\), 4 needed$/);

    const tooBig = await submit(p, 6);
    expect(tooBig).toMatchObject({ __typename: 'QuotaExceededError', limit: 'coreHours', requested: 12, allowed: 10 });
    const { planRequest } = await t.admin.data(
      `query($p: ID!) { planRequest(input: { projectId: $p, image: "ubuntu-22.04", vcpus: 2, memoryMiB: 2048, leaseHours: 3 }) { feasible reasonCode bindingLimit quota { limit inUse requested allowed } } }`,
      { p },
    );
    expect(planRequest).toMatchObject({ feasible: true, reasonCode: 'BUDGET', bindingLimit: 'coreHours' });
    expect(planRequest.quota).toContainEqual(expect.objectContaining({ limit: 'coreHours', requested: 6, allowed: 10 }));

    minutes(30);
    await Promise.all([charge(), charge(), charge()]); // three passes at once charge each minute once
    const afterHalfAnHour = await chargedMinutes(first.id);
    expect(afterHalfAnHour.charged).toBe(afterHalfAnHour.due);
    expect(afterHalfAnHour.recorded).toBe(afterHalfAnHour.due);
    expect(afterHalfAnHour.due).toBe(31); // 30 minutes and a few seconds: 31 started minutes
    const used = await usage(p);
    expect(used.coreHoursUsed).toBeCloseTo((2 * 31) / 60, 6);
    expect(used.coreHoursLeft).toBeCloseTo(10 - (2 * 31) / 60, 6);
    expect(used.fairShareUsage).toBeGreaterThan(1);

    await t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: first.id });
    await until(first.id, 'TERMINATED');
    await charge();
    await charge();
    const final = await chargedMinutes(first.id);
    expect(final).toEqual({ charged: final.due, recorded: final.due, due: final.due });

    // 10 - 1.03 core-hours left, nothing promised: the waiting request fits now
    await until(second.id, 'RUNNING');
    await t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: second.id });
    await until(second.id, 'TERMINATED');
  }, 120_000);

  it('decays fair-share usage with the half-life', async () => {
    const { id: p } = await project('decaying', { vcpus: 8, memoryMiB: 65536 });
    const r = await submit(p, 1);
    await until(r.id, 'RUNNING');
    minutes(59);
    await charge();
    await t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: r.id });
    await until(r.id, 'TERMINATED');
    await charge();
    const before = (await usage(p)).fairShareUsage;
    // 2 vCPUs for an hour or so (the run time charged), decayed a little over the minutes since
    const charged = (2 * (await chargedMinutes(r.id)).charged) / 60;
    expect(charged).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThanOrEqual(charged);
    expect(before).toBeGreaterThan(charged * 0.99);
    minutes(24 * 60); // one half-life (default 24 h)
    expect((await usage(p)).fairShareUsage).toBeCloseTo(before / 2, 2);
  }, 120_000);

  it('lets leases finish when an allocation is revoked, and refuses new requests', async () => {
    const { id: p, allocationId } = await project('revoked-kindly', { vcpus: 8, memoryMiB: 65536 });
    const r = await submit(p, 8);
    await until(r.id, 'RUNNING');
    await t.admin.data('mutation($id: ID!) { revokeAllocation(id: $id) { revokedAt } }', { id: allocationId });
    minutes(120);
    await charge();
    await until(r.id, 'RUNNING');
    expect(await submit(p, 1)).toMatchObject({ __typename: 'QuotaExceededError', message: expect.stringContaining('no allocation in force') });
    await t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: r.id });
    await until(r.id, 'TERMINATED');
  }, 120_000);

  it('terminates what a revoked allocation covered after the grace period the admin asked for', async () => {
    const { id: p, allocationId } = await project('revoked-firmly', { vcpus: 8, memoryMiB: 65536 });
    const r = await submit(p, 8);
    await until(r.id, 'RUNNING');
    const { revokeAllocation } = await t.admin.data('mutation($id: ID!) { revokeAllocation(id: $id, terminateAfterMinutes: 10) { revokedAt terminateAfterMinutes } }', { id: allocationId });
    expect(revokeAllocation.terminateAfterMinutes).toBe(10);
    minutes(9);
    await charge();
    expect((await until(r.id, 'RUNNING')).state).toBe('RUNNING');
    minutes(2);
    await charge();
    const ended = await until(r.id, 'TERMINATED');
    expect(ended.reasonCode).toBe('ALLOCATION_ENDED');
  }, 120_000);

  it('keeps what other allocations still cover when one of several ends', async () => {
    const { id: p, allocationId } = await project('stacked', { vcpus: 2, memoryMiB: 65536, terminateAfterMinutes: 0 });
    await grantAllocation(t.admin, p, { vcpus: 2, memoryMiB: 65536 });
    const older = await submit(p, 8);
    await until(older.id, 'RUNNING');
    const newer = await submit(p, 8);
    await until(newer.id, 'RUNNING');
    await t.admin.data('mutation($id: ID!) { updateAllocation(input: { id: $id, endsAt: $at }) { endsAt } }'.replace('$at', `"${clock.now().toISOString()}"`), { id: allocationId });
    minutes(1);
    await charge();
    // the remaining allocation covers 2 vCPUs: the newest request goes, the older stays
    expect((await until(newer.id, 'TERMINATED')).reasonCode).toBe('ALLOCATION_ENDED');
    expect((await until(older.id, 'RUNNING')).state).toBe('RUNNING');
  }, 120_000);
});
