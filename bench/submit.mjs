// npm run bench:submit — the database-backed path on PostgreSQL: BENCH_CLIENTS concurrent clients
// (default 50) submit BENCH_REQUESTS requests (default 10,000) over GraphQL, back to back, to a
// broker in this process, measured until every request is placed (PROVISIONING or RUNNING), then
// on until every instance runs, to count what a request costs in all: transactions (PostgreSQL's
// own count for the database) and CPU of the broker's process per request.
// Prints figures; nothing here is asserted. Runs the built code (npm run build first);
// BENCH_DIST=/path/to/dist runs another build of it (e.g. a reference measured side by side).
// Creates a database of its own on BENCH_DATABASE_URL's server and drops it at the end.
//
// BENCH_DATABASE=embedded runs the broker on its embedded database (PGlite) instead, in a
// folder of its own; BENCH_BROKERS=2 starts a second broker process on the same PostgreSQL
// database, and half of the clients submit to it.
//
// BENCH_SITES_MODE says who serves the sites:
//   remote   (default) the bundled EC2 emulator in a child process, in memory, reached over HTTP
//            like a real cloud: the broker's process does only the broker's work.
//   emulated `emulated: true` descriptors, served inside the broker as in the demo federation,
//            sharing the broker's event loop and saving its state file as it goes.
// The CPU counted is that of the broker processes; the first one's includes the bench's clients,
// which are light (a prepared body posted and the answer parsed).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { graphqlData, httpRequest, projectWithAllocation } from './http.mjs';

const DIST = process.env.BENCH_DIST ? `${pathToFileURL(resolve(process.env.BENCH_DIST)).href}/` : new URL('../dist/', import.meta.url).href;
const { startBroker } = await import(new URL('broker.js', DIST).href);
const { loadConfig } = await import(new URL('config/config.js', DIST).href);

const SERVER_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SITES = Number(process.env.BENCH_SITES ?? 10);
const SITES_MODE = process.env.BENCH_SITES_MODE || 'remote';
if (!['remote', 'emulated'].includes(SITES_MODE)) throw new Error(`BENCH_SITES_MODE: remote or emulated, got ${SITES_MODE}`);
const DATABASE = process.env.BENCH_DATABASE || 'postgresql';
if (!['postgresql', 'embedded'].includes(DATABASE)) throw new Error(`BENCH_DATABASE: postgresql or embedded, got ${DATABASE}`);
const EMBEDDED = DATABASE === 'embedded';
const BROKERS = Number(process.env.BENCH_BROKERS ?? 1);
if (![1, 2].includes(BROKERS) || (EMBEDDED && BROKERS > 1)) throw new Error(`BENCH_BROKERS: 1, or 2 on PostgreSQL (the embedded database serves one process), got ${BROKERS}`);
// whatever happens, the bench ends this long after the first submission
const TIME_LIMIT_MS = Number(process.env.BENCH_TIME_LIMIT_S ?? 120) * 1000;
const POLL_MS = 100;
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const SECRET_KEY = randomBytes(32).toString('hex');
const IMAGE = 'ubuntu-22.04';

const seconds = (ms) => (ms / 1000).toFixed(2);
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const cpuMs = (usage) => (usage.user + usage.system) / 1000;

/** What every bench site offers: room for everything the bench places; instances start at once. */
function siteSpec(s) {
  return {
    name: `bench-${s}`,
    institution: `Bench University ${s % 3}`,
    region: 'us-east-1',
    accessKeyId: `BENCHKEY${s}`,
    secretAccessKey: `bench-secret-${s}`,
    capacity: { vcpus: 100_000, memoryMiB: 400_000_000 },
    instanceTypes: [
      { name: 'm1.small', vcpus: 1, memoryMiB: 2048 },
      { name: 'm1.medium', vcpus: 2, memoryMiB: 4096 },
    ],
    imageId: `ami-0a1b2c3d4e5f6${String(s).padStart(4, '0')}`,
  };
}

/**
 * A node process running `code` (an ES module) that talks to this one over IPC: `ready` resolves
 * to its first message; `ask(message)` to its next answer; `stop()` asks it to end and waits.
 */
function child(code, args) {
  const proc = spawn(process.execPath, ['--input-type=module', '--eval', code, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const answers = [];
  proc.on('message', (m) => answers.shift()?.(m));
  const next = () => new Promise((resolve, reject) => {
    answers.push(resolve);
    proc.once('exit', (code) => reject(new Error(`bench child process exited (${code})`)));
  });
  const ready = next();
  return {
    ready,
    ask: (message) => {
      const answer = next();
      proc.send(message);
      return answer;
    },
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', resolve);
      proc.send('stop');
    }),
  };
}

/** Serves the sites from an in-memory emulator in a child process; resolves to its base URL. */
async function startRemoteSites() {
  const sites = Array.from({ length: SITES }, (_, s) => {
    const { institution: _institution, imageId, ...spec } = siteSpec(s);
    return { ...spec, images: [{ imageId, name: IMAGE }], pendingSeconds: 0 };
  });
  const sitesProcess = child(
    `const { Ec2Emulator } = await import(process.argv[1]);
     const emulator = new Ec2Emulator(); // no state file: nothing written per call
     for (const site of JSON.parse(process.argv[2])) emulator.upsertSite(site);
     process.send(await emulator.listen(0));
     process.on('message', async () => { await emulator.close(); process.exit(0); });`,
    [new URL('compute/emulator/index.js', DIST).href, JSON.stringify(sites)],
  );
  return { base: await sitesProcess.ready, stop: sitesProcess.stop };
}

/**
 * A second broker on the same database, in a process of its own: answers `cpu` with its CPU time
 * so far, and `stop` by closing.
 */
async function startSecondBroker(env) {
  const broker = child(
    `const { startBroker } = await import(process.argv[1]);
     const { loadConfig } = await import(process.argv[2]);
     const broker = await startBroker(loadConfig(JSON.parse(process.argv[3])));
     process.send(broker.url);
     process.on('message', async (m) => {
       if (m === 'cpu') return process.send(process.cpuUsage());
       await broker.close();
       process.exit(0);
     });`,
    [new URL('broker.js', DIST).href, new URL('config/config.js', DIST).href, JSON.stringify(env)],
  );
  return { url: await broker.ready, cpu: () => broker.ask('cpu'), close: broker.stop };
}

/** One descriptor per site: emulated by the broker, or a remote site at `base`. */
function writeSites(dir, base) {
  for (let s = 0; s < SITES; s++) {
    const spec = siteSpec(s);
    const where = base
      ? [`endpoint: ${base}/${spec.name}`, `accessKeyId: ${spec.accessKeyId}`, `secretAccessKey: ${spec.secretAccessKey}`]
      : ['emulated: true', 'emulator:', '  pendingSeconds: 0'];
    writeFileSync(
      join(dir, `${spec.name}.yaml`),
      [
        `name: ${spec.name}`,
        `institution: ${spec.institution}`,
        `region: ${spec.region}`,
        ...where,
        'capacity:',
        `  vcpus: ${spec.capacity.vcpus}`,
        `  memoryMiB: ${spec.capacity.memoryMiB}`,
        'instanceTypes:',
        ...spec.instanceTypes.map((t) => `  - { name: ${t.name}, vcpus: ${t.vcpus}, memoryMiB: ${t.memoryMiB} }`),
        'images:',
        `  - { image: ${IMAGE}, imageId: ${spec.imageId} }`,
        '',
      ].join('\n'),
    );
  }
}

// One keep-alive pool for all clients: a bench of the broker, not of TCP handshakes.
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 5 });

function post(base, path, body) {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, 'content-length': Buffer.byteLength(body) };
  return httpRequest(`${base}${path}`, { method: 'POST', agent, headers }, body);
}

async function get(base, path) {
  return (await httpRequest(`${base}${path}`, { agent })).text;
}

async function gql(base, query, variables = {}) {
  return graphqlData(await post(base, '/graphql', JSON.stringify({ query, variables })));
}

/** The allocator's cycle histogram: how many cycles ran and how long they took in all. */
async function cycleFigures(base) {
  const text = await get(base, '/metrics');
  const value = (name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? 0);
  return { count: value('skypool_allocator_cycle_seconds_count'), sum: value('skypool_allocator_cycle_seconds_sum') };
}

async function main(databaseUrl, workDir) {
  const sitesDir = join(workDir, 'sites');
  mkdirSync(sitesDir);
  const remote = SITES_MODE === 'remote' ? await startRemoteSites() : undefined;
  writeSites(sitesDir, remote?.base);
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'silent', // e.g. error, to see why submissions fail
    SKYPOOL_DATA_DIR: join(workDir, 'data'),
    SKYPOOL_SITES: sitesDir,
    SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
    SKYPOOL_SECRET_KEY: SECRET_KEY,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    // the bench's one principal must not be throttled: these are the limits' maxima
    SKYPOOL_RATE_LIMIT_PER_SECOND: '1000000',
    SKYPOOL_RATE_LIMIT_BURST: '10000000',
  };
  try {
    const broker = await startBroker(loadConfig(env));
    const second = BROKERS > 1 ? await startSecondBroker({ ...env, SKYPOOL_DATA_DIR: join(workDir, 'data-2') }) : undefined;
    const dataSource = broker.app.get(DataSource, { strict: false });
    // on the embedded database only the broker's own connection reaches it
    const db = EMBEDDED ? undefined : new pg.Client({ connectionString: databaseUrl });
    await db?.connect();
    let ended = false;
    const endQueries = async () => {
      if (!ended) await db?.end();
      ended = true;
    };
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await Promise.all([broker.close(), second?.close()]);
    };
    try {
      const query = db ? (sql) => db.query(sql).then((r) => r.rows) : (sql) => dataSource.query(sql);
      await run({ broker, second, dataSource, close }, query, endQueries);
    } finally {
      await close();
      await endQueries();
    }
  } finally {
    await remote?.stop();
  }
}

/**
 * Transactions committed or rolled back in the bench's database so far, as PostgreSQL counts
 * them. A server counts a backend's when it goes idle, at most once a second, and at its end: it
 * is asked from another database, so the asking is not counted. The embedded database counts
 * only when told to flush, and is asked through the broker's one connection (two statements).
 */
async function transactionsSoFar(query) {
  if (!EMBEDDED) return Number((await admin.query('SELECT xact_commit + xact_rollback AS xacts FROM pg_stat_database WHERE datname = $1', [name])).rows[0].xacts);
  await query('SELECT pg_stat_force_next_flush()');
  return Number((await query('SELECT xact_commit + xact_rollback AS xacts FROM pg_stat_database WHERE datname = current_database()'))[0].xacts);
}

async function run({ broker, second, dataSource, close }, query, endQueries) {
  const bases = [broker.url, ...(second ? [second.url] : [])];
  const base = broker.url;
  // the broker's connection pool, to see whether requests queue for a connection
  const pool = dataSource.driver.master;
  // the start-up probes decide each site's health; wait for them so they are not measured
  for (let tries = 0; tries < 100; tries++) {
    const { sites } = await gql(base, '{ sites { health } }');
    if (sites.length === SITES && sites.every((s) => s.health !== 'UNKNOWN')) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  // one project per client, each allowed far more than its share
  const projects = [];
  for (let c = 0; c < CLIENTS; c++) {
    projects.push(await projectWithAllocation((q, v) => gql(base, q, v), { name: `bench-${c}`, institution: `Bench University ${c % 3}` }, { vcpus: 1_000_000, memoryMiB: 2_000_000_000 }));
  }

  // the bench's own statements on the database are transactions too: counted, to leave them out
  let ownStatements = 0;
  const counted = (sql) => {
    ownStatements++;
    return query(sql);
  };
  const before = await cycleFigures(base);
  const xactsBefore = await transactionsSoFar(counted);
  ownStatements = 0;
  const submit = 'mutation($i: SubmitRequestInput!) { submitRequest(input: $i) { __typename ... on ResourceRequest { id } ... on UserError { code message } } }';
  const latencies = [];
  const failures = new Map();
  let next = 0;
  let lastDone = 0;
  const started = performance.now();
  const deadline = started + TIME_LIMIT_MS;
  const elu = performance.eventLoopUtilization();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu = () => Promise.all([process.cpuUsage(), second?.cpu() ?? { user: 0, system: 0 }]).then(([a, b]) => ({ user: a.user + b.user, system: a.system + b.system, broker2: cpuMs(b) }));
  const cpuBefore = await cpu();

  const client = async (c) => {
    const target = bases[c % bases.length];
    const body = JSON.stringify({ query: submit, variables: { i: { projectId: projects[c], image: IMAGE, vcpus: 1, memoryMiB: 1024, leaseHours: 1 } } });
    while (next < REQUESTS && performance.now() < deadline) {
      next++;
      const t0 = performance.now();
      let outcome;
      try {
        const { status, text } = await post(target, '/graphql', body);
        const result = JSON.parse(text);
        // the error's reference differs every time; without it, alike failures are counted together
        outcome = result.data?.submitRequest?.__typename === 'ResourceRequest' ? 'ok' : `${status} ${JSON.stringify(result.errors?.[0]?.message ?? result.data?.submitRequest)}`.replace(/ \(reference [^)]*\)/, '');
      } catch (err) {
        outcome = String(err);
      }
      const t1 = performance.now();
      lastDone = t1;
      if (outcome === 'ok') latencies.push(t1 - t0);
      else failures.set(outcome, (failures.get(outcome) ?? 0) + 1);
    }
  };

  // counts request and instance states in the database until all that were accepted have been
  // placed, then until every instance runs (its RunInstances answered, the site seen to run it)
  let placedAt;
  let runningAt;
  let cpuPlaced;
  let counts = {};
  let instances = {};
  let submitting = true;
  const waitingForConnection = [];
  const poll = (async () => {
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      waitingForConnection.push(pool.waitingCount);
      const rows = await counted(
        `SELECT 'request' AS of, state, count(*)::int AS n FROM resource_request GROUP BY state
         UNION ALL SELECT 'instance', state, count(*)::int FROM instance GROUP BY state`,
      );
      counts = Object.fromEntries(rows.filter((r) => r.of === 'request').map((r) => [r.state, r.n]));
      instances = Object.fromEntries(rows.filter((r) => r.of === 'instance').map((r) => [r.state, r.n]));
      const placed = (counts.PROVISIONING ?? 0) + (counts.RUNNING ?? 0);
      if (!placedAt && !submitting && placed >= latencies.length) {
        placedAt = performance.now();
        cpuPlaced = await cpu();
      }
      if (placedAt && (counts.RUNNING ?? 0) >= latencies.length && (instances.RUNNING ?? 0) >= latencies.length) {
        runningAt = performance.now();
        return;
      }
    }
  })();
  poll.catch(() => {}); // reported where it is awaited, not as an unhandled rejection meanwhile
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  submitting = false;
  const submitEnd = lastDone;
  await poll;
  const end = placedAt ?? performance.now();
  const cpuRunning = await cpu();
  const busy = performance.eventLoopUtilization(elu);
  lag.disable();
  const after = await cycleFigures(base);
  // closing the brokers and the bench's connection makes a server's count complete (see transactionsSoFar)
  if (!EMBEDDED) {
    await close();
    await endQueries();
  }
  const transactions = (await transactionsSoFar(counted)) - xactsBefore - ownStatements;

  const ok = latencies.length;
  latencies.sort((a, b) => a - b);
  const submitSeconds = (submitEnd - started) / 1000;
  const wallSeconds = (end - started) / 1000;
  const cycles = after.count - before.count;
  const cycleSeconds = after.sum - before.sum;
  const submittedPerSecond = Math.round(ok / submitSeconds);
  const placedPerSecond = placedAt ? Math.round(ok / wallSeconds) : 0;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  // the kernel's high-water mark, so no spike between samples is missed
  const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);

  const where = EMBEDDED ? 'the embedded database' : `PostgreSQL at ${new URL(SERVER_URL).host}`;
  console.log(`setup: ${SITES} ${SITES_MODE} sites, ${CLIENTS} projects and clients, ${BROKERS} broker process${BROKERS > 1 ? 'es' : ''}, ${where}${process.env.BENCH_DIST ? `, build ${process.env.BENCH_DIST}` : ''}`);
  const failed = [...failures].sort((a, b) => b[1] - a[1]).slice(0, 5);
  console.log(`submitted: ${ok} of ${REQUESTS} in ${submitSeconds.toFixed(2)} s${failed.length ? `; failed ${failed.map(([why, n]) => `${n} x ${why}`).join(', ')}` : ''}`);
  console.log(`submit latency: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`);
  console.log(
    placedAt
      ? `placed: all ${ok} in ${wallSeconds.toFixed(2)} s from the first submission (${seconds(end - submitEnd)} s after the last)`
      : `placed: NOT all within ${seconds(TIME_LIMIT_MS)} s; states ${JSON.stringify(counts)}`,
  );
  console.log(
    runningAt
      ? `running: all in ${seconds(runningAt - started)} s from the first submission`
      : `running: NOT all within ${seconds(TIME_LIMIT_MS)} s; requests ${JSON.stringify(counts)}, instances ${JSON.stringify(instances)}`,
  );
  console.log(
    `allocator: ${cycles} cycles, ${cycleSeconds.toFixed(2)} s in all, mean ${cycles ? ((cycleSeconds / cycles) * 1000).toFixed(1) : '-'} ms, ` +
      `${cycles ? Math.round(ok / cycles) : '-'} requests per cycle; ${Math.round((cycleSeconds / wallSeconds) * 100)}% of the wall time`,
  );
  const placedCpu = { user: (cpuPlaced ?? cpuRunning).user - cpuBefore.user, system: (cpuPlaced ?? cpuRunning).system - cpuBefore.system };
  const cpuSeconds = cpuMs(placedCpu) / 1000;
  console.log(
    `process: CPU ${cpuSeconds.toFixed(1)} s until all placed (${Math.round((cpuSeconds / wallSeconds) * 100)}% of one core, ${Math.round((placedCpu.system / 1e6 / cpuSeconds) * 100)}% in the kernel${second ? `; the second broker ${((cpuPlaced ?? cpuRunning).broker2 - cpuBefore.broker2) / 1000 | 0} s of it` : ''}); ` +
      `event loop busy ${Math.round(busy.utilization * 100)}%, delay p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms`,
  );
  console.log(`database: queries waiting for one of the pool's ${pool.options.max} connections: mean ${(waitingForConnection.reduce((a, b) => a + b, 0) / Math.max(waitingForConnection.length, 1)).toFixed(1)}, max ${Math.max(0, ...waitingForConnection)}`);
  const perRequest = (x) => (x / Math.max(ok, 1)).toFixed(2);
  console.log(
    `per request: ${perRequest(cpuMs(placedCpu))} ms of broker CPU until all placed; ${perRequest(cpuMs(cpuRunning) - cpuMs(cpuBefore))} ms and ${perRequest(transactions)} transactions ` +
      `(${transactions} in all) ${runningAt ? 'until all ran' : 'until the time limit'}`,
  );
  const figure = `placed/s (${EMBEDDED ? 'embedded database' : 'PostgreSQL'}, ${CLIENTS} clients${BROKERS > 1 ? `, ${BROKERS} brokers` : ''})`;
  console.log(`table: ${JSON.stringify({ figure, skypool: placedPerSecond, unit: 'placed/s' })}`);
  console.log(`submit: ${submittedPerSecond} submitted/s, ${placedPerSecond} placed/s, p99 ${p99.toFixed(0)} ms, peak ${peakMiB} MB`);
}

const workDir = mkdtempSync(join(tmpdir(), 'skypool-bench-'));
const name = `skypool_bench_${randomBytes(6).toString('hex')}`;
const admin = EMBEDDED ? undefined : new pg.Client({ connectionString: SERVER_URL });
await admin?.connect();
await admin?.query(`CREATE DATABASE ${name}`);
const dropDatabase = async () => {
  await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin?.end();
  rmSync(workDir, { recursive: true, force: true });
};
// Ctrl-C skips the finally below: leave no database behind then either
process.once('SIGINT', () => dropDatabase().finally(() => process.exit(130)));
try {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  // BENCH_LOG_STATEMENTS_MS: log statements slower than this to the server's log, for this database only
  if (admin && process.env.BENCH_LOG_STATEMENTS_MS) await admin.query(`ALTER DATABASE ${name} SET log_min_duration_statement = ${Number(process.env.BENCH_LOG_STATEMENTS_MS)}`);
  await main(EMBEDDED ? undefined : url.toString(), workDir);
} finally {
  agent.destroy();
  await dropDatabase();
}
