import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { Ec2DriverFactory } from '../src/compute/ec2-driver.js';
import { ADMIN_TOKEN, SECRET_KEY, eventually } from './helpers/broker.js';
import { spawnBroker, type BrokerProcess } from './helpers/broker-process.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { GraphqlClient } from './helpers/graphql-client.js';
import { booksFromApi, booksFromDb, checkInvariants, converged, expectInvariants, listSites, type InvariantReport } from './helpers/invariants.js';
import { createTestDatabase, databaseKind, prepareDataFolder, serverUrl, type TestDatabase } from './helpers/test-database.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';

/**
 * Crash and shutdown safety with real processes: brokers run as `node dist/main.bundle.js` (needs
 * `npm run build`), and the sites as `skypool emulate` processes of their own, registered as
 * ordinary sites (endpoint and credentials), so killing a broker leaves its sites running.
 *
 * Wall-clock times are reported (console), never asserted: waits poll with generous timeouts.
 */

const IMAGE = 'ubuntu-22.04';
const RECONCILE_SECONDS = 2;

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skypool-crash-'));
  dirs.push(dir);
  return dir;
}
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
}, 60_000); // a dozen processes to stop and five databases to drop: more than Jest's 5 s on a busy machine

/** A site of 1-vCPU instances, started by a process of its own; RunInstances takes `latencyMs`, so a kill lands mid-provisioning. */
async function site(dir: string, name: string, options: { latencyMs: number; clientToken: boolean }): Promise<EmulatorProcess> {
  const emulator = await startEmulatorProcess(dir, {
    name,
    vcpus: 128,
    instanceTypes: [{ name: 'std.1', vcpus: 1, memoryMiB: 2048 }],
    images: [{ image: IMAGE, imageId: 'ami-0c0000000000000a1' }],
    emulator: {
      pendingSeconds: 1,
      shuttingDownSeconds: 1,
      faults: { latencyMs: options.latencyMs, actions: ['RunInstances'] },
      ...(options.clientToken ? {} : { compatibility: { clientToken: false } }),
    },
  });
  cleanups.push(() => emulator.stop());
  return emulator;
}

interface Deployment {
  database: TestDatabase;
  dataDir: string;
  env: Record<string, string>;
  sites: EmulatorProcess[];
}

async function deployment(dir: string, sites: EmulatorProcess[], extra: Record<string, string> = {}): Promise<Deployment> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const dataDir = prepareDataFolder(database, join(dir, 'data'));
  return {
    database,
    dataDir,
    sites,
    env: {
      SKYPOOL_DATA_DIR: dataDir,
      SKYPOOL_SITES: join(dir, 'sites'),
      SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
      SKYPOOL_SECRET_KEY: SECRET_KEY,
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      SKYPOOL_RECONCILE_CRON: `*/${RECONCILE_SECONDS} * * * * *`,
      SKYPOOL_ALLOCATOR_CRON: '*/2 * * * * *',
      SKYPOOL_HEALTH_CRON: '*/10 * * * * *',
      ...extra,
    },
  };
}

async function broker(d: Deployment): Promise<BrokerProcess> {
  const b = await spawnBroker(d.env);
  cleanups.push(() => b.stop('SIGKILL'));
  return b;
}

/**
 * A query on the deployment's database while no broker runs: PostgreSQL through `pg`; the
 * embedded one opened from its data folder in a child process (PGlite, as the broker opens it).
 */
async function queryDatabase(d: Deployment, sql: string, params: unknown[]): Promise<any[]> {
  if (d.database.url) {
    const client = new pg.Client({ connectionString: d.database.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  }
  const script = `import { PGlite } from '@electric-sql/pglite';
    const db = new PGlite(process.env.PGLITE_DIR);
    const { rows } = await db.query(process.env.SQL, JSON.parse(process.env.PARAMS));
    process.stdout.write(JSON.stringify(rows));
    await db.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', PGLITE_DIR: join(d.dataDir, 'pgdata'), SQL: sql, PARAMS: JSON.stringify(params) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`reading the embedded database failed (${code}): ${err}`);
  return JSON.parse(out);
}

const project = (admin: GraphqlClient, name: string) => projectWithAllocation(admin, { name, institution: 'Crash Test University' }, { vcpus: 512, memoryMiB: 4194304 });

const submit = (admin: GraphqlClient, projectId: string, count: number, idempotencyKey: string) =>
  submitRequest(admin, { projectId, image: IMAGE, vcpus: 1, memoryMiB: 1024, count, leaseHours: 4, idempotencyKey });

/** Submits 8 requests of 2 instances, waits until all are placed, and a little longer, so that the first RunInstances (1.5 s each) are on their way. */
async function placeInFlight(admin: GraphqlClient, projectId: string, keyPrefix: string): Promise<void> {
  const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => submit(admin, projectId, 2, `${keyPrefix}-${i}`)));
  await eventually(async () => {
    const { resourceRequests } = await admin.data(`query($p: ID) { resourceRequests(projectId: $p, states: [PROVISIONING]) { id } }`, { p: projectId });
    return resourceRequests.length === ids.length ? true : undefined;
  }, 'every request to be placed');
  await new Promise((r) => setTimeout(r, 300));
}

/** Instances the sites hold (any state) for this project. */
async function launched(d: Deployment, projectId: string): Promise<number> {
  const listings = await Promise.all(d.sites.map((s) => listSites(s.base, [s.name])));
  return listings.flatMap((l) => Object.values(l).flat()).filter((i) => i.tags['skypool:project'] === projectId).length;
}

async function report(d: Deployment, books: Awaited<ReturnType<typeof booksFromApi>>, projectId: string): Promise<InvariantReport> {
  const listings = Object.assign({}, ...(await Promise.all(d.sites.map((s) => listSites(s.base, [s.name])))));
  return checkInvariants(books, listings, (tags) => tags['skypool:project'] === projectId);
}

/**
 * Polls through the API until every request runs all its instances and the books agree with the
 * sites; returns the report and how long it took.
 */
async function convergence(d: Deployment, admin: GraphqlClient, projectId: string, requests: number, count: number, timeoutMs = 90_000): Promise<{ report: InvariantReport; ms: number; agreedMs: number }> {
  const started = Date.now();
  let last: unknown;
  /** When the books first accounted for every instance at the sites (nothing orphaned, duplicated or unmapped). */
  let agreedMs: number | undefined;
  const found = await eventually(
    async () => {
      const { resourceRequests } = await admin.data(`query($p: ID) { resourceRequests(projectId: $p, first: 1000) { state instances { state } } }`, { p: projectId });
      const running = resourceRequests.filter((r: { state: string; instances: { state: string }[] }) => r.state === 'RUNNING' && r.instances.filter((i) => i.state === 'RUNNING').length === count);
      const r = await report(d, await booksFromApi(admin, [projectId]), projectId);
      last = { running: running.length, of: resourceRequests.length, report: r };
      if (agreedMs === undefined && r.orphans.length + r.duplicates.length + r.unmapped.length === 0) agreedMs = Date.now() - started;
      return running.length === requests && converged(r) ? r : undefined;
    },
    'every request to run and the books to agree with the sites',
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last: ${JSON.stringify(last)}`);
  });
  return { report: found, ms: Date.now() - started, agreedMs: agreedMs ?? 0 };
}

/** The strict check, from the database (with placement attempts and claims), once no broker runs. */
async function finalCheck(d: Deployment, projectId: string, instances: number): Promise<void> {
  const query = (sql: string, params: unknown[]) => queryDatabase(d, sql, params);
  const final = await report(d, await booksFromDb(query, [projectId]), projectId);
  expectInvariants(final, { noExtraLaunches: true });
  expect(final.states).toEqual({ RUNNING: instances });
  expect(Object.values(final.live).reduce((a, b) => a + b, 0)).toBe(instances);
  expect(final.recount).toEqual({ broker: instances, sites: instances, requested: 0 });
  expect(await query(`SELECT count(*)::int AS n FROM instance WHERE claimed_by IS NOT NULL`, [])).toEqual([{ n: 0 }]);
}

const report$ = (line: string) => console.info(`[crash-safety, ${databaseKind}] ${line}`);

describe(`crash and shutdown safety of broker processes on the ${databaseKind} database`, () => {
  it('SIGKILL in the middle of provisioning 100 instances (25 requests x 4), then a restart: converges with nothing lost, duplicated or orphaned', async () => {
    const dir = tempDir();
    // one site honours ClientToken, the other does not: a resend there would start a duplicate
    const sites = [await site(dir, 'crash-a', { latencyMs: 600, clientToken: true }), await site(dir, 'crash-b', { latencyMs: 600, clientToken: false })];
    // two RunInstances per site at a time: at the kill some placements are done, some under way, and some claimed but not sent
    const d = await deployment(dir, sites, { SKYPOOL_SITE_CONCURRENCY: '2' });
    const first = await broker(d);
    const admin = new GraphqlClient(first.url, ADMIN_TOKEN);
    const p = await project(admin, 'crash');
    await Promise.all(Array.from({ length: 25 }, (_, i) => submit(admin, p, 4, `crash-${i}`)));

    const atKill = await eventually(async () => {
      const n = await launched(d, p);
      return n >= 8 ? n : undefined;
    }, 'the first instances to start', 60_000);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    const killedAt = Date.now();
    expect(atKill).toBeLessThan(100); // killed mid-way
    const [left] = await queryDatabase(
      d,
      `SELECT count(*)::int AS requested, (count(*) FILTER (WHERE claimed_by IS NOT NULL))::int AS claimed FROM instance WHERE project_id = $1 AND state = 'REQUESTED'`,
      [p],
    );

    const second = await broker(d);
    const readyAt = Date.now();
    const again = new GraphqlClient(second.url, ADMIN_TOKEN);
    const { report: settled, ms, agreedMs } = await convergence(d, again, p, 25, 4);
    expectInvariants(settled);
    report$(
      `SIGKILL with ${atKill}/100 instances seen at the sites and ${left.requested} rows not started (${left.claimed} claimed by the killed process). ` +
        `The restarted broker's books agreed with the sites ${(agreedMs / 1000).toFixed(1)} s after it was ready; all 100 ran ${(ms / 1000).toFixed(1)} s after it was ready ` +
        `(${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill; two reconcile intervals: ${2 * RECONCILE_SECONDS} s)`,
    );

    expect(await second.stop('SIGTERM')).toBe(0);
    await finalCheck(d, p, 100);
    expect(readyAt).toBeGreaterThan(killedAt);
  }, 180_000);

  it('SIGKILL with 10 requests x 4 under way at one slow site, then a restart: nothing the restarted broker adopts is terminated as an orphan', async () => {
    const dir = tempDir();
    // the site ignores ClientToken: the restarted broker must find what the killed one started by tag, and adopt it
    const sites = [await site(dir, 'adopt-kill', { latencyMs: 800, clientToken: false })];
    // a reconcile pass every second, so that passes overlap the restarted broker's adoptions and RunInstances
    const d = await deployment(dir, sites, { SKYPOOL_SITE_CONCURRENCY: '4', SKYPOOL_RECONCILE_CRON: '*/1 * * * * *' });
    const first = await broker(d);
    const admin = new GraphqlClient(first.url, ADMIN_TOKEN);
    const p = await project(admin, 'adopt-kill');
    await Promise.all(Array.from({ length: 10 }, (_, i) => submit(admin, p, 4, `adopt-kill-${i}`)));
    const atKill = await eventually(async () => {
      const n = await launched(d, p);
      return n >= 8 ? n : undefined;
    }, 'the first instances to start', 60_000);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    expect(atKill).toBeLessThan(40);

    const second = await broker(d);
    const again = new GraphqlClient(second.url, ADMIN_TOKEN);
    const { report: settled, ms } = await convergence(d, again, p, 10, 4);
    expectInvariants(settled);
    // what the log says was adopted, and what it says was terminated as orphans: never the same instance
    const logged = (message: string) =>
      second
        .output()
        .split('\n')
        .filter((line) => line.includes(`"msg":"${message}`))
        .flatMap((line) => (JSON.parse(line) as { siteInstanceIds?: string[] }).siteInstanceIds ?? []);
    const adopted = [...logged('adopting instances'), ...logged('the answer to RunInstances could not be read')];
    const orphaned = logged('terminating orphaned instances');
    report$(`SIGKILL with ${atKill}/40 instances at the site: the restarted broker adopted ${adopted.length}, terminated ${orphaned.length} as orphans; all ran ${(ms / 1000).toFixed(1)} s after it was ready`);
    expect(orphaned.filter((id) => adopted.includes(id))).toEqual([]);
    expect(await second.stop('SIGTERM')).toBe(0);
    const failed = await queryDatabase(d, `SELECT count(*)::int AS n FROM request_event e JOIN resource_request r ON r.id = e.request_id WHERE r.project_id = $1 AND e.to_state = 'FAILED'`, [p]);
    expect(failed).toEqual([{ n: 0 }]); // no NODE_DISAPPEARED, no failover
    await finalCheck(d, p, 40);
  }, 180_000);

  it('SIGTERM with placements in flight: finishes the calls under way, hands back the rest, exits 0; a restarted broker finishes the work', async () => {
    const dir = tempDir();
    const sites = [await site(dir, 'graceful', { latencyMs: 1500, clientToken: false })];
    const d = await deployment(dir, sites, { SKYPOOL_SITE_CONCURRENCY: '2' });
    const first = await broker(d);
    const admin = new GraphqlClient(first.url, ADMIN_TOKEN);
    const p = await project(admin, 'graceful');
    await placeInFlight(admin, p, 'graceful');

    const stopping = Date.now();
    expect(await first.stop('SIGTERM')).toBe(0);
    const stoppedMs = Date.now() - stopping;
    const rows: { state: string; claimed: number; tries: number; n: number }[] = await queryDatabase(
      d,
      `SELECT state, (claimed_by IS NOT NULL)::int AS claimed, tries, count(*)::int AS n FROM instance WHERE project_id = $1 GROUP BY 1, 2, 3 ORDER BY 1`,
      [p],
    );
    const atSite = await launched(d, p);
    report$(`SIGTERM with 2 RunInstances in flight: exited 0 after ${(stoppedMs / 1000).toFixed(1)} s; rows ${JSON.stringify(rows)}; ${atSite} instances at the site`);
    // nothing is left claimed; what the calls under way started is in the books, the rest is back to be placed
    expect(rows.every((r) => r.claimed === 0)).toBe(true);
    const count = (state: string) => rows.filter((r) => r.state === state).reduce((n, r) => n + r.n, 0);
    expect(count('PENDING')).toBe(atSite);
    expect(count('PENDING')).toBeGreaterThan(0);
    expect(count('REQUESTED')).toBe(16 - atSite);
    expect(count('REQUESTED')).toBeGreaterThan(0);
    expect(rows.filter((r) => r.state === 'REQUESTED').every((r) => r.tries === 0)).toBe(true);

    const second = await broker(d);
    const { ms } = await convergence(d, new GraphqlClient(second.url, ADMIN_TOKEN), p, 8, 2);
    report$(`after SIGTERM, the restarted broker ran the rest in ${(ms / 1000).toFixed(1)} s`);
    expect(await second.stop('SIGTERM')).toBe(0);
    await finalCheck(d, p, 16);
  }, 180_000);

  it('SIGTERM with RunInstances under way at a site the broker emulates itself: it answers them all before the broker stops serving it', async () => {
    const dir = tempDir();
    // the broker serves this site on its own HTTP server: the server must go on answering until the calls under way are done
    mkdirSync(join(dir, 'sites'));
    writeFileSync(
      join(dir, 'sites', 'bundled.yaml'),
      stringify({
        name: 'bundled',
        institution: 'Crash Test University',
        region: 'test-1',
        emulated: true,
        capacity: { vcpus: 128, memoryMiB: 1048576 },
        instanceTypes: [{ name: 'std.1', vcpus: 1, memoryMiB: 2048 }],
        images: [{ image: IMAGE, imageId: 'ami-0c0000000000000a1' }],
        emulator: { pendingSeconds: 1, shuttingDownSeconds: 1, faults: { latencyMs: 1500, actions: ['RunInstances'] } },
      }),
    );
    const d = await deployment(dir, [], { SKYPOOL_SITE_CONCURRENCY: '2' });
    const first = await broker(d);
    const admin = new GraphqlClient(first.url, ADMIN_TOKEN);
    const p = await project(admin, 'bundled');
    await placeInFlight(admin, p, 'bundled');

    const stopping = Date.now();
    expect(await first.stop('SIGTERM')).toBe(0);
    const stoppedMs = Date.now() - stopping;
    const refused = first.output().split('\n').filter((line) => /ECONNREFUSED|RunInstances failed/.test(line));
    const rows: { state: string; tries: number; n: number }[] = await queryDatabase(d, `SELECT state, tries, count(*)::int AS n FROM instance WHERE project_id = $1 GROUP BY 1, 2 ORDER BY 1`, [p]);
    report$(`SIGTERM with RunInstances in flight at the bundled emulator: exited 0 after ${(stoppedMs / 1000).toFixed(1)} s; rows ${JSON.stringify(rows)}; ${refused.length} calls failed`);
    expect(refused).toEqual([]);
    // what was sent was answered and recorded; nothing counts a failed try
    expect(rows.filter((r) => r.state === 'PENDING').length).toBeGreaterThan(0);
    expect(rows.every((r) => (r.state === 'PENDING' || r.state === 'REQUESTED') && r.tries === 0)).toBe(true);

    // a restarted broker (serving the same emulated site from the data folder) starts the rest, nothing twice
    const second = await broker(d);
    const restarted = Date.now();
    const again = new GraphqlClient(second.url, ADMIN_TOKEN);
    await eventually(async () => {
      const { resourceRequests } = await again.data(`query($p: ID) { resourceRequests(projectId: $p) { state instances { state } } }`, { p });
      return resourceRequests.every((r: { state: string; instances: { state: string }[] }) => r.state === 'RUNNING' && r.instances.every((i) => i.state === 'RUNNING')) ? true : undefined;
    }, 'every request to run after the restart', 90_000);
    report$(`after SIGTERM, the restarted broker ran the rest in ${((Date.now() - restarted) / 1000).toFixed(1)} s`);
    const listing = await listSites(`${second.url}/emulator`, ['bundled']);
    expect(listing.bundled!.filter((i) => i.tags['skypool:project'] === p)).toHaveLength(16);
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 180_000);

  it('skypool emulate on SIGTERM answers the calls under way before it exits', async () => {
    const dir = tempDir();
    const emulator = await site(dir, 'draining', { latencyMs: 3000, clientToken: true });
    const { accessKeyId, secretAccessKey, region } = parse(readFileSync(emulator.brokerDescriptor, 'utf8'));
    const drivers = new Ec2DriverFactory({ maxAttempts: 1 });
    cleanups.push(async () => drivers.destroy());
    const driver = drivers.forSite({ siteKey: 'draining', endpoint: emulator.endpoint, region, accessKeyId, secretAccessKey });
    await driver.describeAvailabilityZones(); // answered at once: the latency is on RunInstances only

    const launch = driver.runInstances({ clientToken: 'draining-1', imageId: 'ami-0c0000000000000a1', instanceType: 'std.1', minCount: 2, maxCount: 2, tags: { 'skypool:test': 'draining' } });
    await new Promise((r) => setTimeout(r, 1000)); // the call is at the emulator, which answers it 3 s after it came
    const stopped = emulator.stop();
    const started = await launch;
    expect(started.map((i) => i.state)).toEqual(['pending', 'pending']);
    await stopped;
  }, 60_000);

  (serverUrl ? it : it.skip)('two broker processes on one PostgreSQL database at once: 120 instances, every placement started exactly once', async () => {
    const dir = tempDir();
    // neither site honours ClientToken, so a placement started twice would show as extra instances
    const sites = [await site(dir, 'duo-a', { latencyMs: 300, clientToken: false }), await site(dir, 'duo-b', { latencyMs: 300, clientToken: false })];
    const d = await deployment(dir, sites, { SKYPOOL_ALLOCATOR_CRON: '*/1 * * * * *' });
    const one = await broker(d);
    const two = await broker(d); // after the first, so the two do not race to create the sites
    const clients = [new GraphqlClient(one.url, ADMIN_TOKEN), new GraphqlClient(two.url, ADMIN_TOKEN)];
    const p = await project(clients[0]!, 'duo');
    // waves through both processes: each submission wakes the allocator of the process it reached
    for (let wave = 0; wave < 10; wave++) {
      await Promise.all(Array.from({ length: 3 }, (_, i) => submit(clients[(wave + i) % 2]!, p, 4, `duo-${wave}-${i}`)));
      await new Promise((r) => setTimeout(r, 250));
    }
    const { report: settled, ms } = await convergence(d, clients[1]!, p, 30, 4);
    expectInvariants(settled, { noExtraLaunches: true });
    // who recorded what, from the logs (a transaction retried after a conflict logs its changes again: a rough split)
    const started = (b: BrokerProcess) => b.output().split('\n').filter((l) => l.includes('"to":"PENDING"')).length;
    report$(`two processes: 120 instances converged ${(ms / 1000).toFixed(1)} s after the last submission; recorded by process 1: ~${started(one)}, by process 2: ~${started(two)}`);
    if (started(one) + started(two) !== 120) {
      const problems = (b: BrokerProcess) => b.output().split('\n').filter((l) => /"level":(40|50)/.test(l));
      report$(`warnings and errors:\n${[...problems(one), ...problems(two)].join('\n')}`);
    }
    expect(await one.stop('SIGTERM')).toBe(0);
    expect(await two.stop('SIGTERM')).toBe(0);
    await finalCheck(d, p, 120);
    // every instance was started (REQUESTED -> PENDING) exactly once, whichever process did it
    const [{ n }] = await queryDatabase(d, `SELECT count(*)::int AS n FROM request_event e JOIN instance i ON i.id = e.instance_id WHERE i.project_id = $1 AND e.to_state = 'PENDING'`, [p]);
    expect(n).toBe(120);
  }, 180_000);
});
