import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation } from './helpers/fixtures.js';

/** planRequest names what binds, for each kind of constraint, on the demo federation (nothing is submitted). */
describe(`planRequest's binding constraint on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let michigan: string;
  let edinburgh: string;

  beforeAll(async () => {
    t = await startTestBroker();
    michigan = await projectWithAllocation(t.admin, { name: 'small', institution: 'University of Michigan' }, { vcpus: 4, memoryMiB: 65536, coreHours: 5 });
    edinburgh = await projectWithAllocation(t.admin, { name: 'visitors', institution: 'University of Edinburgh' }, { vcpus: 1000, memoryMiB: 10000000 });
  }, 60_000);
  afterAll(() => t?.stop());

  const plan = async (projectId: string, input: string) =>
    (
      await t.admin.data(`query($p: ID!) { planRequest(input: { projectId: $p, ${input} }) { feasible reason reasonCode bindingLimit candidates { site { name } instanceType } explain { site { name } verdict } } }`, {
        p: projectId,
      })
    ).planRequest;

  it('quota: more than the allocations allow at once', async () => {
    expect(await plan(michigan, 'image: "ubuntu-22.04", vcpus: 2, memoryMiB: 2048, count: 3, leaseHours: 0.5')).toMatchObject({
      feasible: false,
      reasonCode: 'QUOTA',
      bindingLimit: 'vcpus',
      reason: "the request needs at least 6 vCPUs at once; the project's allocations allow 4 in all",
    });
  });

  it('budget: more core-hours over the lease than are left', async () => {
    expect(await plan(michigan, 'image: "ubuntu-22.04", vcpus: 2, memoryMiB: 2048, leaseHours: 4')).toMatchObject({
      feasible: false,
      reasonCode: 'BUDGET',
      bindingLimit: 'coreHours',
      reason: "the request needs at least 8 core-hours over its lease; the project's allocations allow 5 in all",
    });
  });

  it('image: none of the allowed sites offers it', async () => {
    expect(await plan(edinburgh, 'image: "rstudio-4", vcpus: 2, memoryMiB: 2048, leaseHours: 1, sites: ["umich"]')).toMatchObject({
      feasible: false,
      reasonCode: 'INVALID_REQUEST',
      reason: "image: none of the allowed sites (umich) offers image 'rstudio-4'",
    });
  });

  it('instance type: no site with the image has one that big', async () => {
    expect(await plan(edinburgh, 'image: "ubuntu-22.04", vcpus: 32, memoryMiB: 2048, leaseHours: 1')).toMatchObject({
      feasible: false,
      reasonCode: 'INVALID_REQUEST',
      reason: "vcpus: no site offering 'ubuntu-22.04' has an instance type with 32 vCPUs, 2048 MiB and 0 GPUs",
    });
  });

  it('site health: the only allowed site is draining', async () => {
    const { sites } = await t.admin.data('{ sites { id name } }');
    const umich = sites.find((s: { name: string }) => s.name === 'umich').id;
    await t.admin.data('mutation($id: ID!) { drainSite(id: $id) { name } }', { id: umich });
    try {
      expect(await plan(edinburgh, 'image: "ubuntu-22.04", vcpus: 2, memoryMiB: 2048, leaseHours: 1, sites: ["umich"]')).toMatchObject({
        feasible: true,
        reasonCode: 'SITE_DRAINING',
        reason: 'would wait: site umich is draining',
        candidates: [],
      });
    } finally {
      await t.admin.data('mutation($id: ID!) { resumeSite(id: $id) { name } }', { id: umich });
    }
  });

  it("home share: more than the pooled part of another institution's site", async () => {
    const answer = await plan(edinburgh, 'image: "ubuntu-22.04", vcpus: 8, memoryMiB: 16384, count: 25, leaseHours: 1, sites: ["umich"]');
    expect(answer).toMatchObject({
      feasible: true,
      reasonCode: 'HOME_SHARE',
      reason: 'would wait: site umich keeps 25% for University of Michigan; the pooled part has 0/192 vCPUs in use, 200 more needed',
    });
    expect(answer.explain).toContainEqual({ site: { name: 'umich' }, verdict: 'HOME_SHARE' });
    expect(answer.explain).toContainEqual({ site: { name: 'tacc' }, verdict: 'NOT_ALLOWED' });
  });

  it('names no GPU limit for a request without GPUs, even when the allocation grants none', async () => {
    // edinburgh's allocation grants no GPUs; the request asks for none, so GPUs cannot bind
    expect(await plan(edinburgh, 'image: "ubuntu-22.04", vcpus: 2, memoryMiB: 4096, count: 2, leaseHours: 4')).toMatchObject({ feasible: true, bindingLimit: 'vcpus' });
  });

  it('ranks the candidates when it fits', async () => {
    const answer = await plan(edinburgh, 'image: "ubuntu-22.04", vcpus: 2, memoryMiB: 4096, leaseHours: 1, preferredSites: ["umich"]');
    expect(answer).toMatchObject({ feasible: true, reason: null, reasonCode: null });
    expect(answer.candidates.map((c: { site: { name: string } }) => c.site.name)).toEqual(['umich', 'tacc']);
  });
});
