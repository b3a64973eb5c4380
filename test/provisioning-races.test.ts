import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DataSource, FindOperator, type EntityManager, type FindManyOptions } from 'typeorm';
import { stringify } from 'yaml';
import { ManualClock } from '../src/common/clock.js';
import { LOGGER } from '../src/common/logging.js';
import { StaleStateError } from '../src/common/state-machine.js';
import { WorkSignals } from '../src/common/work-signals.js';
import type { EmulatedFaults } from '../src/compute/emulator/index.js';
import { SiteEmulatorService } from '../src/compute/site-emulator.service.js';
import { Db } from '../src/database/db.js';
import { ProvisioningScheduler } from '../src/provisioning/provisioning.scheduler.js';
import { ReconcilerService } from '../src/provisioning/reconciler.service.js';
import { Instance } from '../src/requests/entities/instance.entity.js';
import { ResourceRequest } from '../src/requests/entities/resource-request.entity.js';
import { RequestLifecycle } from '../src/requests/request-lifecycle.js';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';

/**
 * Races between the provisioner, the reconciler and the lifecycle writes, interleaved on purpose:
 * a broker in this process with its bundled emulator, on a clock that moves only when told to, and
 * schedules far apart, so that the test decides what runs when. Where two parts must interleave at
 * one exact point, the test waits for the second to finish inside a read of the first.
 */

const IMAGE = 'ubuntu-22.04';
/** Never in a test run: the test triggers reconcile passes and probes itself. */
const NEVER = '0 0 0 1 1 *';

function descriptor(name: string, faults: EmulatedFaults = {}): string {
  return stringify({
    name,
    institution: 'Race Test University',
    region: 'test-1',
    emulated: true,
    capacity: { vcpus: 256, memoryMiB: 1048576 },
    instanceTypes: [{ name: 'std.1', vcpus: 1, memoryMiB: 2048 }],
    images: [{ image: IMAGE, imageId: 'ami-0e0000000000000a1' }],
    emulator: { pendingSeconds: 1, shuttingDownSeconds: 1, faults },
  });
}

/** A broker on a manual clock with emulated sites; reconcile passes and probes run only when the test says. */
function raceBroker(sites: { name: string; faults?: EmulatedFaults }[], env: Record<string, string> = {}) {
  const ctx = {
    t: undefined as unknown as TestBroker,
    clock: new ManualClock(new Date()),
    dir: '',
    start: async () => {
      ctx.dir = mkdtempSync(join(tmpdir(), 'skypool-race-sites-'));
      for (const s of sites) writeFileSync(join(ctx.dir, `${s.name}.yaml`), descriptor(s.name, s.faults));
      ctx.t = await startTestBroker({
        sites: ctx.dir,
        clock: ctx.clock,
        env: { SKYPOOL_RECONCILE_CRON: NEVER, SKYPOOL_HEALTH_CRON: NEVER, SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '20', ...env },
      });
      await eventually(async () => {
        const { sites: all } = await ctx.t.admin.data(`{ sites { name } }`);
        return all.length === sites.length ? true : undefined;
      }, 'the sites to be registered');
    },
    stop: async () => {
      await ctx.t?.stop();
      if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
    },
    get<T>(type: new (...args: never[]) => T): T {
      return ctx.t.broker.app.get(type as never) as T;
    },
    query: (sql: string, params: unknown[] = []): Promise<any[]> => ctx.get(DataSource).query(sql, params),
    emulated: (site: string) => ctx.get(SiteEmulatorService).emulator.instances(site),

    project: (name: string) => projectWithAllocation(ctx.t.admin, { name, institution: 'Race Test University' }, { vcpus: 512, memoryMiB: 2097152 }),
    submit: (projectId: string, count: number, site: string) => submitRequest(ctx.t.admin, { projectId, image: IMAGE, vcpus: 1, memoryMiB: 1024, leaseHours: 4, count, sites: [site] }),

    async cancel(requestId: string): Promise<void> {
      await ctx.t.admin.data(`mutation($id: ID!) { cancelRequest(id: $id) { id } }`, { id: requestId });
    },

    /** Waits until the provisioner has recorded every instance of these requests as started (PENDING). */
    async started(requestIds: string[], instances: number): Promise<void> {
      await eventually(async () => {
        const [row] = await ctx.query(`SELECT count(*)::int AS n FROM instance WHERE request_id = ANY($1) AND state = 'PENDING'`, [requestIds]);
        return row.n === instances ? true : undefined;
      }, `${instances} instances to start`);
    },

    /** The request's instance rows, by state. */
    async rowStates(requestId: string): Promise<Record<string, number>> {
      const rows: { state: string; n: number }[] = await ctx.query(`SELECT state, count(*)::int AS n FROM instance WHERE request_id = $1 GROUP BY state`, [requestId]);
      return Object.fromEntries(rows.map((r) => [r.state, r.n]));
    },
  };
  return ctx;
}

describe(`provisioning races on the ${databaseKind} database`, () => {
  describe('an orphan sweep and an adoption at the same time', () => {
    // the first RunInstances starts its 4 instances and loses its reply, so the placement waits for its retry
    const b = raceBroker([{ name: 'adopt', faults: { dropReplyAfterCreate: 1 } }]);
    beforeAll(() => b.start(), 60_000);
    afterAll(() => b.stop());

    it('instances the provisioner adopts right after the reconciler first looked at its books are not terminated as orphans', async () => {
      const p = await b.project('adopt');
      const id = await b.submit(p, 4, 'adopt');
      // RunInstances started the instances, the reply was lost: the rows wait, unstarted, for a retry after a backoff
      await eventually(async () => {
        const [row] = await b.query(`SELECT min(tries)::int AS tries FROM instance WHERE request_id = $1 AND state = 'REQUESTED'`, [id]);
        return row?.tries >= 1 ? true : undefined;
      }, 'the first try to fail');
      expect(b.emulated('adopt').map((i) => i.state)).toEqual(['pending', 'pending', 'pending', 'pending']);

      // The reconciler's pass sees the 4 instances in its DescribeInstances; right after its first look at which of them
      // the broker knows (none yet), the provisioner's retry finds them by tag and adopts them, and that commits.
      const repo = b.get(Db).manager.getRepository(Instance);
      const find = repo.find.bind(repo);
      let interleaved = false;
      const spy = jest.spyOn(repo, 'find').mockImplementation(async (options?: FindManyOptions<Instance>) => {
        const found = await find(options);
        const byId = (options?.where as Record<string, unknown> | undefined)?.siteInstanceId;
        if (!interleaved && byId instanceof FindOperator && byId.type === 'in') {
          interleaved = true;
          b.clock.advance(5_000); // the backoff is over
          b.get(WorkSignals).emit('placements-ready');
          await eventually(async () => ((await b.rowStates(id)).PENDING === 4 ? true : undefined), 'the provisioner to adopt the instances');
        }
        return found;
      });
      try {
        await b.get(ProvisioningScheduler).reconcileNow();
      } finally {
        spy.mockRestore();
      }
      expect(interleaved).toBe(true);

      // none of the adopted instances was terminated, and the request goes on to run them
      expect(b.emulated('adopt').map((i) => i.state)).toEqual(['running', 'running', 'running', 'running']);
      expect(await b.rowStates(id)).toEqual({ PENDING: 4 });
      await b.get(ProvisioningScheduler).reconcileNow();
      expect(await b.rowStates(id)).toEqual({ RUNNING: 4 });
      const [request] = await b.query(`SELECT state FROM resource_request WHERE id = $1`, [id]);
      expect(request.state).toBe('RUNNING');
    }, 60_000);
  });

  describe('lifecycle writes', () => {
    const b = raceBroker([{ name: 'writes' }]);
    beforeAll(() => b.start(), 60_000);
    afterAll(() => b.stop());

    it('compare and set: a move from a stale read finds the row moved on by a move that won meanwhile, and changes nothing', async () => {
      const p = await b.project('cas');
      const id = await b.submit(p, 2, 'writes');
      await b.started([id], 2);
      const db = b.get(Db);
      const lifecycle = b.get(RequestLifecycle);
      // read as the reconciler or the allocator would read them, without locks
      const staleRequest = await db.manager.getRepository(ResourceRequest).findOneByOrFail({ id });
      const staleInstance = (await db.manager.getRepository(Instance).findBy({ requestId: id }))[0]!;
      expect([staleRequest.state, staleInstance.state]).toEqual(['PROVISIONING', 'PENDING']);
      const eventsBefore = await b.query(`SELECT count(*)::int AS n FROM request_event WHERE request_id = $1`, [id]);

      await b.cancel(id); // the move that wins: request and instances TERMINATING

      // each of these is a legal move from the state it was read in, but the row is no longer in that state
      await expect(db.transaction((m) => lifecycle.moveRequest(m, staleRequest, 'RUNNING', { reason: 'stale' }))).rejects.toThrow(StaleStateError);
      await expect(db.transaction((m) => lifecycle.moveRequests(m, [{ request: staleRequest, to: 'QUEUED', detail: { reason: 'stale' } }]))).rejects.toThrow(StaleStateError);
      await expect(db.transaction((m) => lifecycle.moveInstance(m, staleInstance, 'RUNNING', {}, 'stale'))).rejects.toThrow(StaleStateError);

      const [request] = await b.query(`SELECT state, reason FROM resource_request WHERE id = $1`, [id]);
      expect(request.state).toBe('TERMINATING');
      expect(await b.rowStates(id)).toEqual({ TERMINATING: 2 });
      // the cancellation wrote its events; the stale moves none
      const events: { reason: string | null }[] = await b.query(`SELECT reason FROM request_event WHERE request_id = $1`, [id]);
      expect(events.length).toBeGreaterThan(eventsBefore[0].n);
      expect(events.filter((e) => e.reason === 'stale')).toEqual([]);
    }, 60_000);

    it('a state change is logged once its transaction has committed, and never when it rolls back', async () => {
      const p = await b.project('logs');
      const id = await b.submit(p, 2, 'writes');
      await b.started([id], 2);
      const db = b.get(Db);
      const lifecycle = b.get(RequestLifecycle);
      const info = jest.spyOn(b.get<Logger>(LOGGER as never), 'info');
      const changesLogged = () =>
        info.mock.calls.filter(([fields, message]) => (fields as { requestId?: string }).requestId === id && /state changed/.test(String(message))).map(([fields]) => fields as { from: string; to: string });
      const endRequest = async (manager: EntityManager) => {
        const request = await manager.getRepository(ResourceRequest).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
        await lifecycle.endRequest(manager, request!, { reason: 'ended by the test' }, 'ended by the test');
        expect(changesLogged()).toEqual([]); // not while the transaction is open
      };
      try {
        await expect(
          db.transaction(async (manager) => {
            await endRequest(manager);
            throw new Error('something later in the transaction fails');
          }),
        ).rejects.toThrow('something later');
        expect(changesLogged()).toEqual([]);
        expect(await b.rowStates(id)).toEqual({ PENDING: 2 });

        await db.transaction(endRequest);
        expect(changesLogged().map((c) => `${c.from}->${c.to}`)).toEqual(['PENDING->TERMINATING', 'PENDING->TERMINATING', 'PROVISIONING->TERMINATING']);
      } finally {
        info.mockRestore();
      }
    }, 60_000);

    it('reconcile passes and cancellations at the same time never deadlock: the request is locked before its instances everywhere', async () => {
      const p = await b.project('locks');
      const dataSource = b.get(DataSource);
      const transaction = dataSource.transaction.bind(dataSource) as (work: (m: EntityManager) => Promise<unknown>) => Promise<unknown>;
      const failures: string[] = [];
      const spy = jest.spyOn(dataSource, 'transaction').mockImplementation(((work: (m: EntityManager) => Promise<unknown>) =>
        transaction(work).catch((err: { driverError?: { code?: string }; message?: string }) => {
          failures.push(`${err.driverError?.code ?? ''} ${err.message ?? err}`);
          throw err;
        })) as never);
      try {
        for (let round = 0; round < 4; round++) {
          const ids = await Promise.all(Array.from({ length: 8 }, () => b.submit(p, 2, 'writes')));
          await b.started(ids, 16);
          b.clock.advance(2_000); // the site shows them running: the next reconcile pass moves every one
          await Promise.all([b.get(ProvisioningScheduler).reconcileNow(), ...ids.map((id) => b.cancel(id))]);
          // every request ended whichever came first, and nothing is left half-moved
          const states: { state: string }[] = await b.query(`SELECT state FROM resource_request WHERE id = ANY($1)`, [ids]);
          expect(states.every((r) => r.state === 'TERMINATING' || r.state === 'TERMINATED')).toBe(true);
          const [alive] = await b.query(`SELECT count(*)::int AS n FROM instance WHERE request_id = ANY($1) AND state IN ('REQUESTED', 'PENDING', 'RUNNING')`, [ids]);
          expect(alive.n).toBe(0);
        }
      } finally {
        spy.mockRestore();
      }
      expect(failures).toEqual([]); // no deadlock (40P01) for Db.transaction to retry, no stale write
    }, 120_000);
  });

  describe('follow-up reconciles', () => {
    const b = raceBroker([{ name: 'slow-start' }]);
    beforeAll(() => b.start(), 60_000);
    afterAll(() => b.stop());

    it('look again at instances still starting, with no scheduled pass, until the site shows them running', async () => {
      const passes = jest.spyOn(b.get(ReconcilerService), 'reconcileAll');
      const p = await b.project('slow-start');
      const id = await b.submit(p, 2, 'slow-start');
      await b.started([id], 2);
      // the follow-up a few seconds after the call finds them pending: the site's clock has not moved
      const first = await eventually(async () => passes.mock.results.find((_, i) => passes.mock.calls[i]![0]?.inFlux)?.value, 'a follow-up reconcile');
      expect(first).toMatchObject({ moved: false, inFlux: true });
      expect(await b.rowStates(id)).toEqual({ PENDING: 2 });
      b.clock.advance(2_000); // now the site shows them running; only another follow-up can see it
      await eventually(async () => ((await b.rowStates(id)).RUNNING === 2 ? true : undefined), 'the instances to run');
      passes.mockRestore();
    }, 60_000);
  });
});
