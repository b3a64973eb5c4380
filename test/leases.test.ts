import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AllocatorCycleService } from '../src/allocator/allocator-cycle.service.js';
import { ManualClock } from '../src/common/clock.js';
import { LeaseNotices } from '../src/provisioning/lease-notices.js';
import { ProvisioningScheduler } from '../src/provisioning/provisioning.scheduler.js';
import { MAX_LEASE_HOURS } from '../src/requests/request-input.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation, submitRequest, type AllocationInput } from './helpers/fixtures.js';

/**
 * extendLease moves a running request's lease end later, within the longest lease and the
 * project's budget, and the reconciler ends it at the new end; a lease about to end gets one
 * LEASE_ENDING notice per end. Time is a manual clock; the test runs each pass itself.
 */
describe(`leases: extension and warning on the ${databaseKind} database`, () => {
  let t: TestBroker;
  const clock = new ManualClock(new Date());
  const minutes = (n: number) => clock.advance(n * 60_000);

  beforeAll(async () => {
    const never = '0 0 0 1 1 *';
    t = await startTestBroker({ clock, env: { SKYPOOL_ALLOCATOR_CRON: never, SKYPOOL_RECONCILE_CRON: never, SKYPOOL_CHARGE_CRON: never, SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '60000' } });
  }, 60_000);
  afterAll(() => t?.stop());

  const REQUEST = 'id state reason reasonCode leaseEndsAt instances { state leaseEndsAt } events { kind reason }';
  const get = async (id: string) => (await t.admin.data(`query($id: ID!) { resourceRequest(id: $id) { ${REQUEST} } }`, { id })).resourceRequest;

  /** Runs the allocator and the reconciler, moving the clock a few seconds at a time, until the request is in `state`. */
  async function until(id: string, state: string) {
    for (let i = 0; i < 40; i++) {
      const request = await get(id);
      if (request.state === state) return request;
      clock.advance(3000);
      await t.broker.app.get(AllocatorCycleService).run();
      await t.broker.app.get(ProvisioningScheduler).reconcileNow();
    }
    throw new Error(`request ${id} never reached ${state}`);
  }

  const project = (name: string, allocation: AllocationInput) => projectWithAllocation(t.admin, { name, institution: 'University of Michigan' }, allocation);
  // m1.medium at umich: 2 vCPUs
  const submit = (projectId: string, leaseHours: number) => submitRequest(t.admin, { projectId, image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 2048, leaseHours, sites: ['umich'] });
  const extend = (id: string, hours: number) => t.admin.request<any>(`mutation($id: ID!, $hours: Float!) { extendLease(id: $id, hours: $hours) { ${REQUEST} } }`, { id, hours });
  const cancel = (id: string) => t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id });

  it('moves the lease end of the request and its instances, and the reconciler keeps to the new end', async () => {
    const p = await project('lease-extend', { vcpus: 8, memoryMiB: 65536, coreHours: 100 });
    const id = await submit(p, 1 / 60); // a one-minute lease
    const running = await until(id, 'RUNNING');
    const oldEnd = Date.parse(running.leaseEndsAt);

    const res = await extend(id, 1);
    expect(res.errors).toBeUndefined();
    const extended = res.data.extendLease;
    const newEnd = oldEnd + 3_600_000;
    expect(Date.parse(extended.leaseEndsAt)).toBe(newEnd);
    expect(extended.instances.map((i: { leaseEndsAt: string }) => Date.parse(i.leaseEndsAt))).toEqual([newEnd]);
    expect(extended.events.at(-1)).toEqual({ kind: 'LEASE_EXTENDED', reason: `lease extended by 1 h by federation administrator (bootstrap token); it ends at ${new Date(newEnd).toISOString()}` });
    const { auditEvents } = await t.admin.data('{ auditEvents(action: "request.extendLease") { targetId after } }');
    expect(auditEvents[0]).toMatchObject({ targetId: id, after: { hours: 1, leaseEndsAt: new Date(newEnd).toISOString() } });

    minutes(5); // well past the old end
    await t.broker.app.get(ProvisioningScheduler).reconcileNow();
    expect((await get(id)).state).toBe('RUNNING');
    minutes(60);
    const expired = await until(id, 'EXPIRED');
    expect(expired.reason).toBe(`lease ended at ${new Date(newEnd).toISOString()}`);
  }, 120_000);

  it('refuses what the rules do not allow, naming why', async () => {
    const p = await project('lease-refused', { vcpus: 8, memoryMiB: 65536, coreHours: 1 });
    const waiting = await submit(p, 0.25);
    const notRunning = await extend(waiting, 1);
    expect(notRunning.errors?.[0]).toMatchObject({ message: `request ${waiting} is PENDING: only the lease of a RUNNING request can be extended`, extensions: { code: 'CONFLICT' } });

    await until(waiting, 'RUNNING'); // 2 vCPUs x 0.25 h: 0.5 of the 1 core-hour promised
    for (const hours of [0, -1]) expect((await extend(waiting, hours)).errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'hours' });
    const tooLong = await extend(waiting, MAX_LEASE_HOURS);
    expect(tooLong.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'hours' }, message: expect.stringMatching(new RegExp(`^hours: the lease would last 87\\d\\d\\.\\d+ hours in all; at most ${MAX_LEASE_HOURS} are allowed$`)) });
    const overBudget = await extend(waiting, 1);
    expect(overBudget.errors?.[0]).toMatchObject({
      extensions: { code: 'CONFLICT' },
      message: 'project budget: 0.5 core-hours free (1 left, 0.5 promised to running leases), 2 needed to extend the lease by 1 h',
    });
    expect((await extend(waiting, 0.25)).errors).toBeUndefined(); // 0.5 core-hours fit, just
    await cancel(waiting);
  }, 120_000);

  it('warns once of a lease about to end, and again after an extension', async () => {
    const notices = t.broker.app.get(LeaseNotices);
    const p = await project('lease-warned', { vcpus: 8, memoryMiB: 65536 });
    const id = await submit(p, 2);
    const running = await until(id, 'RUNNING');
    const endsAt = new Date(running.leaseEndsAt);
    const warnings = async () => (await get(id)).events.filter((e: { kind: string }) => e.kind === 'LEASE_ENDING');

    expect(await notices.warnEndingLeases()).toBe(0); // two hours left
    minutes(61);
    expect(await notices.warnEndingLeases()).toBe(1);
    expect(await notices.warnEndingLeases()).toBe(0); // once per lease end
    const left = Math.ceil((endsAt.getTime() - clock.now().getTime()) / 60_000);
    expect(await warnings()).toEqual([{ kind: 'LEASE_ENDING', reason: `lease ends at ${endsAt.toISOString()}, in ${left} minutes; extendLease to keep it` }]);

    expect((await extend(id, 1)).errors).toBeUndefined();
    expect(await notices.warnEndingLeases()).toBe(0); // 119 minutes left again
    minutes(60);
    // two passes at once (as two broker processes would run them) give one notice
    expect((await Promise.all([notices.warnEndingLeases(), notices.warnEndingLeases()])).sort()).toEqual([0, 1]);
    expect(await warnings()).toHaveLength(2);
    await cancel(id);
  }, 120_000);
});
