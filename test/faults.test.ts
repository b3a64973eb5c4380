import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { stringify } from 'yaml';
import { SiteEmulatorService } from '../src/compute/site-emulator.service.js';
import type { EmulatedFaults } from '../src/compute/emulator/index.js';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { booksFromDb, checkInvariants, converged, expectInvariants, listSites, type InvariantReport } from './helpers/invariants.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';

/**
 * The provisioning lifecycle under every fault the emulator can inject, over real HTTP: the broker
 * in this process talks to its bundled emulator through the EC2 driver, faults are set on an
 * emulated site at run time. Each test has its own sites and project, and ends with the same
 * checks once things settle: no duplicate at any site, no orphan, the quota recount equal to what
 * the sites hold, and the request in the state (and with the reason) an operator would expect.
 *
 * Intervals are short (reconcile and allocator every second, pending timeout 5 s, provisioning
 * timeout 8 s); waits poll with generous timeouts and never assert how long something took.
 */

const IMAGE = 'ubuntu-22.04';

/** An emulated site lending 8 vCPUs in 2-vCPU instances, that starts them in a second. */
function descriptor(name: string, options: { vcpus?: number; clientToken?: boolean } = {}): string {
  return stringify({
    name,
    institution: 'Fault Test University',
    region: 'test-1',
    emulated: true,
    capacity: { vcpus: options.vcpus ?? 8, memoryMiB: 65536 },
    instanceTypes: [{ name: 'std.2', vcpus: 2, memoryMiB: 4096 }],
    images: [{ image: IMAGE, imageId: 'ami-0f0000000000000a1' }],
    emulator: { pendingSeconds: 1, shuttingDownSeconds: 1, ...(options.clientToken === false ? { compatibility: { clientToken: false } } : {}) },
  });
}

const BASE_ENV = {
  SKYPOOL_RECONCILE_CRON: '*/1 * * * * *',
  SKYPOOL_ALLOCATOR_CRON: '*/1 * * * * *',
  SKYPOOL_HEALTH_CRON: '*/2 * * * * *',
  SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '20',
  SKYPOOL_PENDING_TIMEOUT_SECONDS: '5',
  SKYPOOL_PROVISION_TIMEOUT_SECONDS: '8',
};

const REQUEST_VIEW = `state reason reasonCode
  instances { state siteInstanceId site { name } }
  events { kind fromState toState reason reasonCode site { name } }`;

interface RequestView {
  state: string;
  reason: string | null;
  reasonCode: string | null;
  instances: { state: string; siteInstanceId: string | null; site: { name: string } }[];
  events: { kind: string; fromState: string | null; toState: string | null; reason: string | null; reasonCode: string | null; site: { name: string } | null }[];
}

/** A broker with its own emulated sites, and what the tests do with it. */
function faultBroker(sites: { name: string; vcpus?: number; clientToken?: boolean }[], env: Record<string, string>) {
  const ctx = {
    t: undefined as unknown as TestBroker,
    dir: '',
    start: async () => {
      ctx.dir = mkdtempSync(join(tmpdir(), 'skypool-fault-sites-'));
      for (const s of sites) writeFileSync(join(ctx.dir, `${s.name}.yaml`), descriptor(s.name, s));
      ctx.t = await startTestBroker({ sites: ctx.dir, env: { ...BASE_ENV, ...env } });
    },
    stop: async () => {
      await ctx.t?.stop();
      if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
    },
    setFaults: (site: string, faults: EmulatedFaults) => ctx.t.broker.app.get(SiteEmulatorService).emulator.setFaults(site, faults),
    vanish: (site: string, ids: string[]) => ctx.t.broker.app.get(SiteEmulatorService).emulator.vanish(site, ids),

    project: (name: string) => projectWithAllocation(ctx.t.admin, { name, institution: 'Fault Test University' }, { vcpus: 64, memoryMiB: 262144 }),
    submit: (projectId: string, input: { count?: number; minCount?: number; sites: string[]; preferredSites?: string[]; spanSites?: boolean }) =>
      submitRequest(ctx.t.admin, { projectId, image: IMAGE, vcpus: 2, memoryMiB: 2048, leaseHours: 4, ...input }),

    async request(id: string): Promise<RequestView> {
      return (await ctx.t.admin.data(`query($id: ID!) { resourceRequest(id: $id) { ${REQUEST_VIEW} } }`, { id })).resourceRequest;
    },

    /** Polls until `until` holds for the request; returns it. */
    async waitFor(id: string, what: string, until: (r: RequestView) => boolean, timeoutMs = 45_000): Promise<RequestView> {
      let last: RequestView | undefined;
      try {
        return await eventually(async () => {
          last = await ctx.request(id);
          return until(last) ? last : undefined;
        }, what, timeoutMs);
      } catch (err) {
        throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last && { state: last.state, reasonCode: last.reasonCode, reason: last.reason, instances: last.instances })}`);
      }
    },

    /** The invariants for one project over the given sites, as they stand now. */
    async invariants(projectId: string, siteNames: string[]): Promise<InvariantReport> {
      const query = (sql: string, params: unknown[]) => ctx.t.broker.app.get(DataSource).query(sql, params);
      const [books, listings] = await Promise.all([booksFromDb(query, [projectId]), listSites(`${ctx.t.url}/emulator`, siteNames)]);
      return checkInvariants(books, listings, (tags) => tags['skypool:project'] === projectId);
    },

    /** Waits until the books and the sites agree and nothing is under way; returns the report. */
    async settled(projectId: string, siteNames: string[], timeoutMs = 45_000): Promise<InvariantReport> {
      let last: InvariantReport | undefined;
      try {
        return await eventually(async () => {
          last = await ctx.invariants(projectId, siteNames);
          return converged(last) ? last : undefined;
        }, 'the books and the sites to agree', timeoutMs);
      } catch (err) {
        throw new Error(`${(err as Error).message}; last report: ${JSON.stringify(last)}`);
      }
    },

    async inUseVcpus(projectId: string): Promise<number> {
      const { projects } = await ctx.t.admin.data(`{ projects { id usage { inUse { vcpus } } } }`);
      return projects.find((p: { id: string }) => p.id === projectId).usage.inUse.vcpus;
    },

    async health(site: string): Promise<string> {
      const { sites: all } = await ctx.t.admin.data(`{ sites { name health } }`);
      return all.find((s: { name: string }) => s.name === site).health;
    },
  };
  return ctx;
}

const failedWith = (r: RequestView, code: string) => r.events.filter((e) => e.kind === 'INSTANCE_STATE' && e.toState === 'FAILED' && e.reasonCode === code);
const liveAt = (r: RequestView, site: string) => r.instances.filter((i) => ['PENDING', 'RUNNING'].includes(i.state) && i.site.name === site);

describe(`provisioning under site faults on the ${databaseKind} database`, () => {
  describe('failing over (SKYPOOL_COOL_DOWN_MINUTES=10, SKYPOOL_MAX_ATTEMPTS=3)', () => {
    const b = faultBroker(
      [
        { name: 'lost-1' },
        { name: 'lost-3' },
        { name: 'lost-no-token-1', clientToken: false },
        { name: 'lost-no-token-3', clientToken: false },
        { name: 'burst' },
        { name: 'stuck' },
        { name: 'stuck-backup' },
        { name: 'revoked' },
        { name: 'revoked-backup' },
        { name: 'vanish' },
      ],
      { SKYPOOL_COOL_DOWN_MINUTES: '10', SKYPOOL_MAX_ATTEMPTS: '3' },
    );
    beforeAll(() => b.start(), 60_000);
    afterAll(() => b.stop());

    it.each([
      { site: 'lost-1', lost: 1, token: 'honoured' },
      { site: 'lost-3', lost: 3, token: 'honoured' },
      { site: 'lost-no-token-1', lost: 1, token: 'ignored' },
      { site: 'lost-no-token-3', lost: 3, token: 'ignored' },
    ])(
      'reply lost after RunInstances ($lost in a row, ClientToken $token): RUNNING with exactly the 2 instances asked for, nothing launched twice',
      async ({ site, lost }) => {
        const p = await b.project(`lost-reply-${site}`);
        // RunInstances is sent once per try: each retry by the provisioner first looks for the try's instances by tag
        b.setFaults(site, { dropReplyAfterCreate: lost });
        const id = await b.submit(p, { count: 2, sites: [site] });
        const running = await b.waitFor(id, 'RUNNING', (r) => r.state === 'RUNNING');
        expect(running.instances.map((i) => i.state)).toEqual(['RUNNING', 'RUNNING']);
        expect(running.reasonCode).toBeNull();
        const report = await b.settled(p, [site]);
        expectInvariants(report, { noExtraLaunches: true });
        expect(report.live).toEqual({ [site]: 2 });
        expect(report.recount).toEqual({ broker: 4, sites: 4, requested: 0 });
        expect(await b.inUseVcpus(p)).toBe(4);
      },
      60_000,
    );

    it('a 503 burst on RunInstances: retried with backoff, RUNNING with one launch', async () => {
      const p = await b.project('burst');
      // 2 x 503: the provisioner's first two tries (RunInstances is not resent by the SDK), within SKYPOOL_PROVISION_TIMEOUT_SECONDS
      b.setFaults('burst', { unavailableBurst: 2, actions: ['RunInstances'] });
      const id = await b.submit(p, { count: 2, sites: ['burst'] });
      const running = await b.waitFor(id, 'RUNNING', (r) => r.state === 'RUNNING');
      expect(running.reasonCode).toBeNull();
      const [{ tries }] = await b.t.broker.app.get(DataSource).query(`SELECT max(tries) AS tries FROM instance WHERE request_id = $1`, [id]);
      expect(Number(tries)).toBeGreaterThanOrEqual(1); // at least one retry by the provisioner
      const report = await b.settled(p, ['burst']);
      expectInvariants(report, { noExtraLaunches: true });
      expect(report.live).toEqual({ burst: 2 });
      expect(await b.inUseVcpus(p)).toBe(4);
    }, 60_000);

    it('instances stuck pending: FAILED SITE_TIMEOUT and terminated there, the request fails over and RUNS at another site', async () => {
      const p = await b.project('stuck');
      b.setFaults('stuck', { stuckPending: true });
      const id = await b.submit(p, { count: 2, sites: ['stuck', 'stuck-backup'], preferredSites: ['stuck'] });
      const running = await b.waitFor(id, 'RUNNING at stuck-backup', (r) => r.state === 'RUNNING' && liveAt(r, 'stuck-backup').length === 2);
      expect(failedWith(running, 'SITE_TIMEOUT').map((e) => e.site?.name)).toEqual(['stuck', 'stuck']);
      expect(running.events.some((e) => e.kind === 'REQUEST_STATE' && e.toState === 'QUEUED' && e.reasonCode === 'SITE_TIMEOUT')).toBe(true);
      expect(running.reasonCode).toBeNull();
      const report = await b.settled(p, ['stuck', 'stuck-backup']);
      expectInvariants(report, { noExtraLaunches: true });
      expect(report.live).toEqual({ stuck: 0, 'stuck-backup': 2 });
      expect(await b.inUseVcpus(p)).toBe(4);
      b.setFaults('stuck', {});
    }, 60_000);

    it('credentials revoked (AuthFailure): AUTH_FAILED, the site is DOWN, the request RUNS elsewhere; one that only fits there waits (SITE_DOWN)', async () => {
      const p = await b.project('revoked');
      // RunInstances is refused first, so that the allocator has placed the request there before the site is known to be DOWN
      b.setFaults('revoked', { errorRate: 1, errorCode: 'AuthFailure', actions: ['RunInstances'] });
      const id = await b.submit(p, { count: 2, sites: ['revoked', 'revoked-backup'], preferredSites: ['revoked'] });
      const running = await b.waitFor(id, 'RUNNING at revoked-backup', (r) => r.state === 'RUNNING' && liveAt(r, 'revoked-backup').length === 2);
      expect(failedWith(running, 'AUTH_FAILED').map((e) => e.site?.name)).toEqual(['revoked', 'revoked']);
      expect(running.events.some((e) => e.kind === 'REQUEST_STATE' && e.toState === 'QUEUED' && e.reasonCode === 'AUTH_FAILED')).toBe(true);

      // now every call is refused: the circuit stays open, and a request that only fits there waits
      b.setFaults('revoked', { errorRate: 1, errorCode: 'AuthFailure' });
      await eventually(async () => ((await b.health('revoked')) === 'DOWN' ? true : undefined), 'the site to be DOWN');
      const waiting = await b.submit(p, { count: 1, sites: ['revoked'] });
      const queued = await b.waitFor(waiting, 'QUEUED with SITE_DOWN', (r) => r.state === 'QUEUED' && r.reasonCode === 'SITE_DOWN');
      expect(queued.reason).toMatch(/revoked is DOWN/);

      const report = await b.settled(p, ['revoked', 'revoked-backup']);
      expectInvariants(report, { noExtraLaunches: true });
      expect(report.live).toEqual({ revoked: 0, 'revoked-backup': 2 });
      expect(await b.inUseVcpus(p)).toBe(4);

      // credentials work again: the next probe closes the circuit and the waiting request runs there
      b.setFaults('revoked', {});
      await b.waitFor(waiting, 'RUNNING at revoked once it is back', (r) => r.state === 'RUNNING' && liveAt(r, 'revoked').length === 1);
      expect(await b.health('revoked')).toBe('HEALTHY');
      expectInvariants(await b.settled(p, ['revoked', 'revoked-backup']), { noExtraLaunches: true });
    }, 90_000);

    it('an instance vanishes from its site: NODE_DISAPPEARED, the request FAILED, its quota released', async () => {
      const p = await b.project('vanish');
      const id = await b.submit(p, { count: 1, sites: ['vanish'] });
      const running = await b.waitFor(id, 'RUNNING', (r) => r.state === 'RUNNING');
      expect(await b.inUseVcpus(p)).toBe(2);
      b.vanish('vanish', [running.instances[0]!.siteInstanceId!]);
      const failed = await b.waitFor(id, 'FAILED', (r) => r.state === 'FAILED');
      expect(failed.reasonCode).toBe('NODE_DISAPPEARED');
      expect(failed.reason).toMatch(/disappeared at site vanish/);
      expect(failed.instances.map((i) => i.state)).toEqual(['FAILED']);
      const report = await b.settled(p, ['vanish']);
      expectInvariants(report, { noExtraLaunches: true });
      expect(report.recount).toEqual({ broker: 0, sites: 0, requested: 0 });
      expect(await b.inUseVcpus(p)).toBe(0);
    }, 60_000);
  });

  describe('trying the same sites again (SKYPOOL_COOL_DOWN_MINUTES=0, SKYPOOL_MAX_ATTEMPTS=2)', () => {
    const b = faultBroker([{ name: 'stuck-only' }, { name: 'span-a', vcpus: 4 }, { name: 'span-b', vcpus: 4 }], { SKYPOOL_COOL_DOWN_MINUTES: '0', SKYPOOL_MAX_ATTEMPTS: '2' });
    beforeAll(() => b.start(), 60_000);
    afterAll(() => b.stop());

    it('instances stuck pending at the only allowed site: FAILED with SITE_TIMEOUT after 2 attempts, nothing left there', async () => {
      const p = await b.project('stuck-only');
      b.setFaults('stuck-only', { stuckPending: true });
      const id = await b.submit(p, { count: 2, sites: ['stuck-only'] });
      const failed = await b.waitFor(id, 'FAILED', (r) => r.state === 'FAILED', 60_000);
      expect(failed.reasonCode).toBe('SITE_TIMEOUT');
      expect(failed.reason).toMatch(/^gave up after 2 failed attempts; the last: instance i-[0-9a-f]+ was still pending at site stuck-only after 5 s$/);
      expect(failedWith(failed, 'SITE_TIMEOUT')).toHaveLength(4);
      const report = await b.settled(p, ['stuck-only']);
      expectInvariants(report, { noExtraLaunches: true });
      expect(report.recount).toEqual({ broker: 0, sites: 0, requested: 0 });
      expect(await b.inUseVcpus(p)).toBe(0);
    }, 90_000);

    it('a site goes down mid-gang (4 instances spanning two sites): rolled back, nothing left at either site, QUEUED; RUNNING once it is back', async () => {
      const p = await b.project('span');
      // span-b takes no RunInstances, but answers everything else (so it is still placed on)...
      b.setFaults('span-b', { down: true, actions: ['RunInstances'] });
      const id = await b.submit(p, { count: 4, minCount: 4, spanSites: true, sites: ['span-a', 'span-b'] });
      await b.waitFor(id, 'the first part to start at span-a', (r) => liveAt(r, 'span-a').length === 2);
      // ...then, with the first part of the gang started, the whole site goes down
      b.setFaults('span-b', { down: true });
      const queued = await b.waitFor(id, 'QUEUED after the rollback', (r) => r.state === 'QUEUED' && r.instances.every((i) => ['TERMINATED', 'FAILED'].includes(i.state)));
      expect(failedWith(queued, 'SITE_TIMEOUT').map((e) => e.site?.name)).toEqual(['span-b', 'span-b']);
      expect(queued.instances.filter((i) => i.site.name === 'span-a').map((i) => i.state)).toEqual(['TERMINATED', 'TERMINATED']);
      expect(queued.events.some((e) => e.kind === 'REQUEST_STATE' && e.toState === 'QUEUED' && e.reasonCode === 'SITE_TIMEOUT')).toBe(true);
      expect(await b.health('span-b')).toBe('DOWN');
      // (the emulator's listing is no EC2 call: it answers while the site is down)
      const rolledBack = await b.settled(p, ['span-a', 'span-b']);
      expectInvariants(rolledBack, { noExtraLaunches: true });
      expect(rolledBack.recount).toEqual({ broker: 0, sites: 0, requested: 0 });
      expect(await b.inUseVcpus(p)).toBe(0);

      b.setFaults('span-b', {});
      const running = await b.waitFor(id, 'RUNNING over both sites', (r) => r.state === 'RUNNING');
      expect([liveAt(running, 'span-a').length, liveAt(running, 'span-b').length]).toEqual([2, 2]);
      const report = await b.settled(p, ['span-a', 'span-b']);
      expectInvariants(report, { noExtraLaunches: true });
      expect(report.live).toEqual({ 'span-a': 2, 'span-b': 2 });
      expect(await b.inUseVcpus(p)).toBe(8);
    }, 90_000);
  });

  describe('a site whose answers to RunInstances the SDK cannot read (SKYPOOL_SITE_DOWN_AFTER=3)', () => {
    const b = faultBroker([{ name: 'old-dialect', vcpus: 32 }], { SKYPOOL_SITE_DOWN_AFTER: '3', SKYPOOL_SITE_CONCURRENCY: '4' });
    beforeAll(() => b.start(), 60_000);
    afterAll(() => b.stop());

    it('8 requests at once: each placement is adopted by tag right away, the site never goes DOWN, and its health report says its replies are malformed', async () => {
      const p = await b.project('old-dialect');
      // HTTP 200, the instances started and tagged, but each instance item names its instanceId twice
      b.setFaults('old-dialect', { malformedRunReply: true });
      const seen = new Set<string>();
      let watching = true;
      const watch = (async () => {
        while (watching) {
          seen.add(await b.health('old-dialect'));
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const requests: RequestView[] = [];
      try {
        const ids = await Promise.all(Array.from({ length: 8 }, () => b.submit(p, { count: 2, sites: ['old-dialect'] })));
        for (const id of ids) requests.push(await b.waitFor(id, 'RUNNING', (r) => r.state === 'RUNNING'));
      } finally {
        watching = false;
        await watch;
      }
      expect([...seen].filter((h) => h !== 'HEALTHY' && h !== 'UNKNOWN')).toEqual([]);
      expect(requests.map((r) => r.reasonCode)).toEqual(Array(8).fill(null));
      expect(requests.flatMap((r) => r.events.filter((e) => e.toState === 'FAILED'))).toEqual([]);
      const report = await b.settled(p, ['old-dialect']);
      expectInvariants(report, { noExtraLaunches: true });
      expect(report.live).toEqual({ 'old-dialect': 16 });
      // adopted at once: no placement was retried
      const [{ tries }] = await b.t.broker.app.get(DataSource).query(`SELECT max(tries)::int AS tries FROM instance WHERE project_id = $1`, [p]);
      expect(tries).toBe(0);
      const { sites } = await b.t.admin.data(`{ sites { name healthReport { state consecutiveFailures malformedReplies lastMalformedReply lastMalformedReplyAt } } }`);
      const health = sites.find((s: { name: string }) => s.name === 'old-dialect').healthReport;
      expect(health).toMatchObject({ state: 'HEALTHY', consecutiveFailures: 0, malformedReplies: 8 });
      expect(health.lastMalformedReply).toBe('RunInstances at site old-dialect: the site answered HTTP 200 with EC2 XML that the broker cannot read');
      expect(health.lastMalformedReplyAt).not.toBeNull();
    }, 90_000);
  });
});
