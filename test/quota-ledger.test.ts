import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ADMIN_TOKEN, eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation } from './helpers/fixtures.js';

type EmulatorListing = { instanceId: string; state: string; tags: Record<string, string> }[];

/**
 * The quota ledger under a burst: 200 submissions at once for a project allowed 64 vCPUs. Exactly
 * 32 run; the rest wait; what the broker counts equals what its instances hold, and each site
 * holds exactly what the broker believes is there.
 */
describe(`the quota ledger under concurrent submissions on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let project: string;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await startTestBroker({ env: { SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '20' } });
    project = await projectWithAllocation(t.admin, { name: 'burst', institution: 'University of Michigan' }, { vcpus: 64, memoryMiB: 1048576 });
  }, 60_000);
  afterAll(() => t?.stop());

  const states = async () => {
    const rows: { state: string; n: string }[] = await t.broker.app.get(DataSource).query('SELECT state, count(*) AS n FROM resource_request WHERE project_id = $1 GROUP BY state', [project]);
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  };

  /** What the broker counts: the instances that hold resources, recounted from the rows. */
  const recount = async () => {
    const [row] = await t.broker.app.get(DataSource).query(
      `SELECT coalesce(sum(vcpus), 0) AS vcpus, count(*) AS instances FROM instance WHERE project_id = $1 AND state IN ('REQUESTED', 'PENDING', 'RUNNING', 'TERMINATING')`,
      [project],
    );
    return { vcpus: Number(row.vcpus), instances: Number(row.instances) };
  };

  /** Per site, the instances of this project the broker believes run there, and those the site lists. */
  const books = async () => {
    const believed: { name: string; site_instance_id: string }[] = await t.broker.app.get(DataSource).query(
      `SELECT s.name, i.site_instance_id FROM instance i JOIN site s ON s.id = i.site_id WHERE i.project_id = $1 AND i.state IN ('PENDING', 'RUNNING')`,
      [project],
    );
    const sites = (await t.admin.data('{ sites { name } }')).sites.map((s: { name: string }) => s.name) as string[];
    const result: Record<string, { broker: string[]; site: string[] }> = {};
    for (const site of sites) {
      const listing = (await (await fetch(`${t.url}/emulator/${site}/instances`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as EmulatorListing;
      result[site] = {
        broker: believed.filter((b) => b.name === site).map((b) => b.site_instance_id).sort(),
        site: listing.filter((i) => i.tags['skypool:project'] === project && i.state !== 'terminated' && i.state !== 'shutting-down').map((i) => i.instanceId).sort(),
      };
    }
    return result;
  };

  it('runs exactly 32 of 200 concurrent 2-vCPU requests and queues the rest', async () => {
    const submit = `mutation($p: ID!, $k: String!) { submitRequest(input: { projectId: $p, image: "ubuntu-22.04", vcpus: 2, memoryMiB: 2048, leaseHours: 4, idempotencyKey: $k }) {
      __typename ... on ResourceRequest { id } ... on UserError { message } } }`;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => t.admin.data(submit, { p: project, k: `burst-${i}` })));
    for (const r of results) {
      expect(r.submitRequest.__typename).toBe('ResourceRequest');
      ids.push(r.submitRequest.id);
    }
    expect(new Set(ids).size).toBe(200);

    await eventually(async () => {
      const s = await states();
      return s.RUNNING === 32 && s.QUEUED === 168 ? s : undefined;
    }, '32 running and 168 queued', 60_000);
    expect(await recount()).toEqual({ vcpus: 64, instances: 32 });

    const { resourceRequests } = await t.admin.data('query($p: ID) { resourceRequests(projectId: $p, states: [QUEUED], first: 1) { reason reasonCode } }', { p: project });
    expect(resourceRequests[0]).toEqual({ reasonCode: 'QUOTA', reason: 'project quota: 64/64 vCPUs in use, 2 more needed' });

    const held = await books();
    for (const [site, { broker, site: atSite }] of Object.entries(held)) expect({ site, ids: atSite }).toEqual({ site, ids: broker });
    expect(Object.values(held).reduce((n, h) => n + h.broker.length, 0)).toBe(32);
  }, 120_000);

  it('places waiting requests as cancellations free quota, never going over', async () => {
    const running: { id: string }[] = (await t.admin.data('query($p: ID) { resourceRequests(projectId: $p, states: [RUNNING], first: 10) { id } }', { p: project })).resourceRequests;
    // cancellations and new submissions interleaved
    await Promise.all([
      ...running.map((r) => t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: r.id })),
      ...Array.from({ length: 20 }, (_, i) =>
        t.admin.data(`mutation($p: ID!) { submitRequest(input: { projectId: $p, image: "ubuntu-22.04", vcpus: 2, memoryMiB: 2048, leaseHours: 4, idempotencyKey: "more-${i}" }) { __typename } }`, { p: project }),
      ),
    ]);
    await eventually(async () => {
      const s = await states();
      return s.RUNNING === 32 && s.TERMINATED === 10 && s.QUEUED === 178 ? s : undefined;
    }, '32 running again after 10 cancellations', 60_000);
    expect(await recount()).toEqual({ vcpus: 64, instances: 32 });
    const held = await books();
    for (const [site, { broker, site: atSite }] of Object.entries(held)) expect({ site, ids: atSite }).toEqual({ site, ids: broker });
  }, 120_000);
});
