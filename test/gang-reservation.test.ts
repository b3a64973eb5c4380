import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../src/common/clock.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import { manualTime } from './helpers/manual-time.js';

/**
 * Capacity held for a gang that has waited long (SKYPOOL_GANG_RESERVE_AFTER_MINUTES, default 30),
 * as the cycle persists it and as explain and planRequest tell it: umich (256 vCPUs) is nearly
 * full, a gang of 4 x m1.xlarge waits for it, and a single m1.xlarge that would fit waits too.
 * Time is a manual clock; the test runs each pass itself.
 */
describe(`capacity held for a gang on the ${databaseKind} database`, () => {
  let t: TestBroker;
  const clock = new ManualClock(new Date());
  const time = manualTime(() => t, clock);
  let projectId: string;

  beforeAll(async () => {
    const never = '0 0 0 1 1 *';
    t = await startTestBroker({ clock, env: { SKYPOOL_ALLOCATOR_CRON: never, SKYPOOL_RECONCILE_CRON: never, SKYPOOL_CHARGE_CRON: never, SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '60000' } });
    projectId = await projectWithAllocation(t.admin, { name: 'gangs', institution: 'University of Michigan' }, { vcpus: 1000, memoryMiB: 10_000_000 });
  }, 60_000);
  afterAll(() => t?.stop());

  // m1.xlarge at umich: 8 vCPUs
  const xlarge = (count: number) => submitRequest(t.admin, { projectId, image: 'ubuntu-22.04', vcpus: 8, memoryMiB: 16384, count, leaseHours: 1, sites: ['umich'] });
  const REQUEST = 'state reason reasonCode explain { site { name } verdict reason }';
  const get = async (id: string) => (await t.admin.data(`query($id: ID!) { resourceRequest(id: $id) { ${REQUEST} } }`, { id })).resourceRequest;
  const atUmich = (r: { explain: { site: { name: string }; verdict: string; reason: string }[] }) => r.explain.find((v) => v.site.name === 'umich');

  it('holds what frees up at umich for the gang, and says so to it and to those that would take it', async () => {
    const filler = await xlarge(30); // 240 of 256 vCPUs
    await time.until(filler, 'RUNNING');
    const gang = await xlarge(4);
    await time.allocate();
    expect(await get(gang)).toMatchObject({ state: 'QUEUED', reasonCode: 'SITE_CAPACITY', reason: 'site umich is full: 240/256 vCPUs in use, 32 more needed' });

    clock.advance(31 * 60_000);
    await time.allocate();
    const since = clock.now().toISOString();
    const until = new Date(clock.now().getTime() + 24 * 3_600_000).toISOString();
    const held = await get(gang);
    expect(held.reason).toBe(`site umich is full: 240/256 vCPUs in use, 32 more needed; capacity is held for it (4 x m1.xlarge at umich) since ${since}, until ${until} at the latest`);
    expect(atUmich(held)).toEqual({ site: { name: 'umich' }, verdict: 'SITE_CAPACITY', reason: 'is full: 240/256 vCPUs in use, 32 more needed; holds what frees up for this request (4 x m1.xlarge)' });

    // one more m1.xlarge would fit, but would delay the gang
    const single = await xlarge(1);
    await time.allocate();
    const waiting = await get(single);
    expect(waiting).toMatchObject({ state: 'QUEUED', reasonCode: 'RESERVED', reason: `capacity is held for a gang that has waited longest: site umich holds 4 x m1.xlarge for gang ${gang}, which has waited longest` });
    expect(atUmich(waiting)).toMatchObject({ verdict: 'RESERVED' });
    const { planRequest } = await t.admin.data(
      'query($p: ID!) { planRequest(input: { projectId: $p, image: "ubuntu-22.04", vcpus: 8, memoryMiB: 16384, leaseHours: 1, sites: ["umich"] }) { feasible reasonCode } }',
      { p: projectId },
    );
    expect(planRequest).toEqual({ feasible: true, reasonCode: 'RESERVED' });

    // the hold is kept across cycles, from the same start
    clock.advance(60_000);
    await time.allocate();
    expect((await get(gang)).reason).toContain(`since ${since}`);

    // what ran there ends: the gang starts first, then the single request in what is left
    await t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: filler });
    await time.until(gang, 'RUNNING');
    await time.until(single, 'RUNNING');
  }, 120_000);
});
