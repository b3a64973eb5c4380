import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation } from './helpers/fixtures.js';

/**
 * Home shares on the demo federation: umich keeps 25% of its 256 vCPUs for the University of
 * Michigan and lends none of it; tacc keeps 50% of 512 for TACC and lends what TACC leaves unused.
 */
describe(`home shares on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let edinburgh: string;

  beforeAll(async () => {
    t = await startTestBroker({ env: { SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '10' } });
    edinburgh = await projectWithAllocation(t.admin, { name: 'visitors', institution: 'University of Edinburgh' }, { vcpus: 2000, memoryMiB: 10000000 });
  }, 60_000);
  afterAll(() => t?.stop());

  const submit = async (site: string, count: number, vcpus: number, memoryMiB: number) =>
    (
      await t.admin.data(
        `mutation($p: ID!, $s: String!, $n: Int!, $v: Int!, $m: Int!) { submitRequest(input: { projectId: $p, image: "ubuntu-22.04", vcpus: $v, memoryMiB: $m, count: $n, leaseHours: 1, sites: [$s] }) { ... on ResourceRequest { id } } }`,
        { p: edinburgh, s: site, n: count, v: vcpus, m: memoryMiB },
      )
    ).submitRequest.id as string;
  const request = (id: string) =>
    t.admin.data('query($id: ID!) { resourceRequest(id: $id) { state reason reasonCode instances { borrowed } explain { site { name } verdict reason } } }', { id }).then((d) => d.resourceRequest);
  const settled = (id: string) => eventually(async () => ((r) => (['PENDING', 'PROVISIONING'].includes(r.state) ? undefined : r))(await request(id)), `request ${id} to be decided`);

  it("keeps a site's home share from other institutions, and says so", async () => {
    const pooled = await submit('umich', 24, 8, 16384); // 24 x m1.xlarge: the 192 pooled vCPUs
    expect((await settled(pooled)).state).toBe('RUNNING');
    const more = await submit('umich', 1, 8, 16384);
    const waiting = await settled(more);
    expect(waiting).toMatchObject({
      state: 'QUEUED',
      reasonCode: 'HOME_SHARE',
      reason: 'site umich keeps 25% for University of Michigan; the pooled part has 192/192 vCPUs in use, 8 more needed',
    });
    expect(waiting.explain.find((v: { site: { name: string } }) => v.site.name === 'umich')).toMatchObject({ verdict: 'HOME_SHARE' });
    expect(waiting.explain.find((v: { site: { name: string } }) => v.site.name === 'tacc')).toMatchObject({ verdict: 'NOT_ALLOWED' });
  }, 60_000);

  it('borrows the unused home share of a site that lends it, and marks it borrowed', async () => {
    const pooled = await submit('tacc', 16, 16, 65536); // 16 x c1.xlarge: the 256 pooled vCPUs
    const running = await settled(pooled);
    expect(running.state).toBe('RUNNING');
    expect(running.instances.every((i: { borrowed: boolean }) => !i.borrowed)).toBe(true);
    const borrowing = await settled(await submit('tacc', 2, 16, 65536));
    expect(borrowing.state).toBe('RUNNING');
    expect(borrowing.instances).toEqual([{ borrowed: true }, { borrowed: true }]);
  }, 60_000);
});
