import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkerPoolsService } from '../src/bursting/worker-pools.service.js';
import { SiteEmulatorService } from '../src/compute/site-emulator.service.js';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { projectWithAllocation } from './helpers/fixtures.js';
import type { GraphqlClient } from './helpers/graphql-client.js';
import { databaseKind } from './helpers/test-database.js';

type Member = { id: string; state: string; createdAt: string; instances: { state: string; siteInstanceId: string | null; site: { name: string } }[] };
type Pool = { id: string; name: string; state: string; desiredSize: number; running: number; reason: string | null; members: Member[] };

const POOL = 'id name state desiredSize running reason members { id state createdAt instances { state siteInstanceId site { name } } }';

/**
 * Worker pools for pilot systems (HTCondor, GlideinWMS, DIRAC): the broker keeps desiredSize
 * members running, replaces those that vanish, ends the newest first when the pool shrinks, says
 * why it is short, and ends every member when the pool is deleted.
 */
describe(`worker pools on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let projectId: string;
  /** a researcher of the project, as a pilot factory's service account */
  let factory: GraphqlClient;

  const pool = async (id: string) => (await t.admin.data<{ workerPool: Pool }>(`query($id: ID!) { workerPool(id: $id) { ${POOL} } }`, { id })).workerPool;
  const poolWhen = (id: string, what: string, until: (p: Pool) => boolean) => eventually(async () => ((p) => (until(p) ? p : undefined))(await pool(id)), `pool ${what}`, 60_000);
  const create = (name: string, sizes: { desiredSize: number; maxSize: number }) =>
    factory.request<{ createWorkerPool: Pool }>(
      `mutation($p: ID!, $name: String!, $d: Int!, $max: Int!) { createWorkerPool(input: { projectId: $p, name: $name, image: "ubuntu-22.04", vcpus: 2, memoryMiB: 2048, leaseHours: 2,
        userData: "#!/bin/sh\\necho start an HTCondor startd here", minSize: 0, maxSize: $max, desiredSize: $d }) { ${POOL} } }`,
      { p: projectId, name, d: sizes.desiredSize, max: sizes.maxSize },
    );
  const resize = (id: string, desiredSize: number) => factory.request<{ setWorkerPoolSize: Pool }>(`mutation($id: ID!, $d: Int!) { setWorkerPoolSize(id: $id, desiredSize: $d) { ${POOL} } }`, { id, d: desiredSize });

  beforeAll(async () => {
    // passes every second, so the test waits on the pool rather than on the schedule
    t = await startTestBroker({ env: { SKYPOOL_POOL_CRON: '* * * * * *', SKYPOOL_RECONCILE_CRON: '*/2 * * * * *' } });
    projectId = await projectWithAllocation(t.admin, { name: 'pilots', institution: 'University of Michigan' }, { vcpus: 8, memoryMiB: 65536 });
    const { createServiceAccount } = await t.admin.data<{ createServiceAccount: { token: string } }>(
      'mutation($p: ID!) { createServiceAccount(input: { name: "glidein-factory", role: RESEARCHER, projectId: $p }) { token } }',
      { p: projectId },
    );
    factory = t.anonymous.withToken(createServiceAccount.token);
  }, 60_000);
  afterAll(() => t?.stop());

  it('keeps desiredSize members running, replaces one that vanished at its site, and ends the newest first when it shrinks', async () => {
    const created = await create('condor', { desiredSize: 3, maxSize: 6 });
    expect(created.errors).toBeUndefined();
    const id = created.data!.createWorkerPool.id;
    const full = await poolWhen(id, '3 running', (p) => p.running === 3);
    expect(full).toMatchObject({ name: 'condor', state: 'ACTIVE', desiredSize: 3, reason: null });
    expect(full.members.map((m) => m.state)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);

    // an instance disappears behind the broker's back: its member fails, and the pool starts another
    const lost = full.members[0]!;
    const instance = lost.instances[0]!;
    t.broker.app.get(SiteEmulatorService).emulator.vanish(instance.site.name, [instance.siteInstanceId!]);
    const mended = await poolWhen(id, 'the lost member replaced', (p) => p.running === 3 && !p.members.some((m) => m.id === lost.id));
    const replacement = mended.members[0]!; // newest first
    expect(full.members.map((m) => m.id)).not.toContain(replacement.id);

    const shrunk = await resize(id, 1);
    expect(shrunk.errors).toBeUndefined();
    const one = await poolWhen(id, 'one member', (p) => p.members.length === 1 && p.running === 1);
    expect(one.members[0]!.id).toBe(mended.members.at(-1)!.id); // the oldest stays
    const { resourceRequest } = await t.admin.data<{ resourceRequest: { state: string } }>('query($id: ID!) { resourceRequest(id: $id) { state } }', { id: replacement.id });
    expect(['TERMINATING', 'TERMINATED']).toContain(resourceRequest.state);
  }, 120_000);

  it('says why it is short (the quota), refuses a size outside its bounds or a name taken, and ends every member when deleted', async () => {
    const id = (await create('glidein', { desiredSize: 2, maxSize: 5 })).data!.createWorkerPool.id;
    await poolWhen(id, '2 running', (p) => p.running === 2);
    // 1 member of condor and 2 here hold 6 of the 8 vCPUs: of 5, one more fits
    expect((await resize(id, 5)).errors).toBeUndefined();
    const short = await poolWhen(id, 'short, with the reason', (p) => p.running === 3 && p.members.length === 5);
    expect(short.reason).toMatch(/^2 of 5 not running: .*quota.*8\/8 vCPUs/i);

    const beyond = await resize(id, 6);
    expect(beyond.errors?.[0]).toMatchObject({ message: "desiredSize: must be a whole number from the pool's minSize 0 to its maxSize 5, got 6", extensions: { code: 'BAD_USER_INPUT', field: 'desiredSize' } });
    const taken = await create('glidein', { desiredSize: 0, maxSize: 1 });
    expect(taken.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT', field: 'name' } });

    const deleted = await factory.request<{ deleteWorkerPool: Pool }>(`mutation($id: ID!) { deleteWorkerPool(id: $id) { ${POOL} } }`, { id });
    expect(deleted.data!.deleteWorkerPool.state).toBe('DELETED');
    const gone = await poolWhen(id, 'no members left', (p) => p.members.length === 0);
    expect(gone).toMatchObject({ state: 'DELETED', running: 0 });
    // once empty, a deleted pool needs no more passes
    const service = t.broker.app.get(WorkerPoolsService);
    await eventually(async () => ((await service.poolsToKeep()).some((p) => p.id === id) ? undefined : true), 'the deleted pool to leave the keeper');
    const { workerPools } = await factory.data<{ workerPools: { name: string }[] }>('query($p: ID) { workerPools(projectId: $p) { name } }', { p: projectId });
    expect(workerPools.map((p) => p.name)).toEqual(['condor']);
  }, 120_000);

  it('two keeping passes at once (two broker processes) submit each missing member once', async () => {
    const id = (await create('racing', { desiredSize: 0, maxSize: 4 })).data!.createWorkerPool.id;
    const service = t.broker.app.get(WorkerPoolsService);
    const stale = (await service.get(id))!;
    stale.desiredSize = 2; // as both processes read it, before either wrote a member
    await t.admin.data('mutation($id: ID!) { setWorkerPoolSize(id: $id, desiredSize: 2) { id } }', { id });
    await Promise.all([service.keep(stale), service.keep({ ...stale })]);
    const members = (await pool(id)).members;
    expect(members).toHaveLength(2);
    await t.admin.data('mutation($id: ID!) { deleteWorkerPool(id: $id) { id } }', { id });
  }, 60_000);
});
