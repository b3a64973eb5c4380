// npm run bench:scale — a federation at scale: BENCH_SITES `skypool emulate` processes (default 10),
// each a site of its own that answers EC2 calls in 20-80 ms and keeps an instance pending for
// 3 s, a broker in this process on PostgreSQL that registers them, and BENCH_VMS VMs (default
// 1,000) asked for in requests of 1 to 4 instances from several projects, submitted by 10 clients at
// once. Measures the time from the first submission until every request is RUNNING, each
// request's time from submission to RUNNING, and then compares the sites with the broker's books:
// duplicates (more instances at a site than a placement asked for) and orphans (an instance at a
// site the broker does not hold, or one the broker holds that is not at its site).
// Prints figures; nothing here is asserted. Runs the built code (npm run build first).
// Creates a database of its own on BENCH_DATABASE_URL's server and drops it at the end;
// BENCH_QUICK=1 places 100 VMs instead, for a smoke run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { graphqlData, httpRequest, projectWithAllocation } from './http.mjs';

// the broker in this process loads the AWS SDK, which would warn on Node 20 about its releases from 2027
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { startBroker } = await import('../dist/broker.js');
const { loadConfig } = await import('../dist/config/config.js');

const SERVER_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const QUICK = process.env.BENCH_QUICK === '1';
const VMS = Number(process.env.BENCH_VMS ?? (QUICK ? 100 : 1000));
const SITES = Number(process.env.BENCH_SITES ?? 10);
const PROJECTS = 5;
const CLIENTS = 10;
// what a site is like: each EC2 call answered in LATENCY_MS + 0..JITTER_MS, an instance pending this long
const LATENCY_MS = 20;
const JITTER_MS = 60;
const PENDING_SECONDS = 3;
// whatever happens, the bench stops waiting this long after the first submission
const TIME_LIMIT_MS = Number(process.env.BENCH_TIME_LIMIT_S ?? 120) * 1000;
const POLL_MS = 200;
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const IMAGE = 'ubuntu-22.04';
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// mulberry32, seeded: the same requests every run
let seed = 16_2026;
const random = (n) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
};

/** What every site offers: room for several times what the bench places. */
function siteSpec(s) {
  return {
    name: `scale-${s}`,
    institution: `Scale University ${s % 4}`,
    region: 'us-east-1',
    accessKeyId: `AKIASCALEBENCH${String(s).padStart(4, '0')}`,
    secretAccessKey: `scale-bench-secret/${s}/wJalrXUtnFEMI`,
    capacity: { vcpus: 1024, memoryMiB: 1024 * 4096 },
    instanceTypes: [
      { name: 'm1.small', vcpus: 1, memoryMiB: 2048 },
      { name: 'm1.medium', vcpus: 2, memoryMiB: 4096 },
    ],
    images: [{ image: IMAGE, imageId: `ami-0a1b2c3d4e5f6${String(s).padStart(4, '0')}` }],
  };
}

/** The emulator processes started so far: ended in the finally below, or killed when this process exits in any other way. */
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** SIGTERM, then SIGKILL if it has not gone within 5 s. */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** `skypool emulate` for one site on a free port; resolves to the site's endpoint once it listens. */
async function startEmulator(dir, spec) {
  const file = join(dir, `${spec.name}.yaml`);
  const faults = { latencyMs: LATENCY_MS, latencyJitterMs: JITTER_MS };
  // the emulator does not use the endpoint; the broker is told the real one when it registers the site
  writeFileSync(file, stringify({ ...spec, endpoint: 'http://127.0.0.1:1/unused', emulator: { pendingSeconds: PENDING_SECONDS, faults } }));
  const child = spawn(process.execPath, [CLI, 'emulate', file, '--port', '0', '--json'], {
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator ${spec.name} not listening within 60 s:\n${output}`)), 60_000);
    child.stdout.on('data', (d) => {
      output += d;
      const line = output.split('\n').slice(0, -1).find((l) => l.startsWith('{')); // whole lines only
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line).endpoint);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`emulator ${spec.name} exited (${code ?? signal}):\n${output}`));
    });
  });
}

// One keep-alive pool for all clients: a bench of the broker, not of TCP handshakes.
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 5 });

function request(url, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  return httpRequest(url, { method, agent, headers }, body);
}

async function gql(base, query, variables = {}) {
  return graphqlData(await request(`${base}/graphql`, { method: 'POST', body: JSON.stringify({ query, variables }) }));
}

/** An instance as `GET <endpoint>/instances` lists it. */
async function listSite(endpoint) {
  const { status, text } = await request(`${endpoint}/instances`);
  if (status !== 200) throw new Error(`GET ${endpoint}/instances: HTTP ${status}`);
  return JSON.parse(text);
}

/** The requests to submit: 1 to 4 instances each, VMS in all, round-robin over the projects. */
function requestsToSubmit(projects) {
  const requests = [];
  for (let left = VMS; left > 0; ) {
    const count = Math.min(left, 1 + random(4));
    const medium = random(3) === 0;
    requests.push({ projectId: projects[requests.length % projects.length], image: IMAGE, vcpus: medium ? 2 : 1, memoryMiB: medium ? 4096 : 2048, count, leaseHours: 1 });
    left -= count;
  }
  return requests;
}

const LIVE_AT_SITE = new Set(['pending', 'running']);
const HELD_AT_SITE = new Set(['PENDING', 'RUNNING', 'TERMINATING']);

/**
 * Compares what the sites list with the broker's instance rows. Duplicates: instances a site
 * launched for a placement (site, request, attempt; one ClientToken) beyond the rows the broker
 * has for it, and site instances held by more than one row. Orphans: live instances at a site that
 * no row holds, and rows holding a site instance that the site does not list as live.
 */
function compareBooks(listings, rows) {
  const rowsPerPlacement = new Map();
  const heldBy = new Map();
  for (const row of rows) {
    const placement = `${row.site}/${row.request_id}/${row.attempt}`;
    rowsPerPlacement.set(placement, (rowsPerPlacement.get(placement) ?? 0) + 1);
    if (!row.site_instance_id || !HELD_AT_SITE.has(row.state)) continue;
    const siteInstance = `${row.site}/${row.site_instance_id}`;
    heldBy.set(siteInstance, (heldBy.get(siteInstance) ?? 0) + 1);
  }
  let duplicates = 0;
  let orphans = 0;
  const perSite = [];
  const launchedPerPlacement = new Map();
  const liveAtSites = new Set();
  for (const [site, listing] of Object.entries(listings)) {
    for (const instance of listing) {
      const placement = `${site}/${instance.tags['skypool:request']}/${instance.tags['skypool:attempt']}`;
      launchedPerPlacement.set(placement, (launchedPerPlacement.get(placement) ?? 0) + 1);
      if (!LIVE_AT_SITE.has(instance.state)) continue;
      liveAtSites.add(`${site}/${instance.instanceId}`);
      if (!heldBy.has(`${site}/${instance.instanceId}`)) orphans++;
    }
    const live = listing.filter((i) => LIVE_AT_SITE.has(i.state)).length;
    const held = rows.filter((r) => r.site === site && r.site_instance_id && HELD_AT_SITE.has(r.state)).length;
    perSite.push({ site, live, held });
  }
  for (const [placement, launched] of launchedPerPlacement) duplicates += Math.max(0, launched - (rowsPerPlacement.get(placement) ?? 0));
  for (const [held, count] of heldBy) {
    duplicates += count - 1;
    if (!liveAtSites.has(held)) orphans++;
  }
  return { duplicates, orphans, perSite };
}

async function main(databaseUrl, workDir) {
  const specs = Array.from({ length: SITES }, (_, s) => siteSpec(s));
  const emulatorsDir = join(workDir, 'emulators');
  mkdirSync(emulatorsDir);
  const endpoints = await Promise.all(specs.map((spec) => startEmulator(emulatorsDir, spec)));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'silent', // e.g. warn, to see what goes wrong
    SKYPOOL_DATA_DIR: join(workDir, 'data'),
    SKYPOOL_SITES: '', // the sites are registered over the API below
    SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
    SKYPOOL_SECRET_KEY: randomBytes(32).toString('hex'),
    DATABASE_URL: databaseUrl,
    // the bench's one principal must not be throttled: these are the limits' maxima
    SKYPOOL_RATE_LIMIT_PER_SECOND: '1000000',
    SKYPOOL_RATE_LIMIT_BURST: '10000000',
  });
  const broker = await startBroker(config);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await run(broker.url, db, specs, endpoints);
  } finally {
    agent.destroy();
    await db.end();
    await broker.close();
  }
}

async function run(base, db, specs, endpoints) {
  const register = 'mutation($i: RegisterSiteInput!) { registerSite(input: $i) { name health } }';
  const health = await Promise.all(specs.map((spec, s) => gql(base, register, { i: { ...spec, endpoint: endpoints[s] } })));
  const projects = [];
  for (let p = 0; p < PROJECTS; p++) {
    projects.push(await projectWithAllocation((q, v) => gql(base, q, v), { name: `scale-${p}`, institution: `Scale University ${p % 4}` }, { vcpus: 100_000, memoryMiB: 400_000_000 }));
  }
  const requests = requestsToSubmit(projects);

  const submit = 'mutation($i: SubmitRequestInput!) { submitRequest(input: $i) { __typename ... on ResourceRequest { id } ... on UserError { code message } } }';
  const submittedAt = new Map(); // request id -> when its submission was sent (ms since the epoch, as the broker's history records)
  const failures = new Map();
  let next = 0;
  const started = Date.now();
  const client = async () => {
    while (next < requests.length) {
      const input = requests[next++];
      const sentAt = Date.now();
      try {
        const { submitRequest } = await gql(base, submit, { i: input });
        if (submitRequest.__typename === 'ResourceRequest') submittedAt.set(submitRequest.id, sentAt);
        else failures.set(submitRequest.code, (failures.get(submitRequest.code) ?? 0) + 1);
      } catch (err) {
        const why = String(err.message).replace(/ \(reference [^)]*\)/, '');
        failures.set(why, (failures.get(why) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, () => client()));
  const submitEnd = Date.now();

  // waits until no accepted request is still on its way to RUNNING
  let states = {};
  for (;;) {
    const { rows } = await db.query('SELECT state, count(*)::int AS n FROM resource_request GROUP BY state');
    states = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    const underWay = (states.PENDING ?? 0) + (states.QUEUED ?? 0) + (states.PROVISIONING ?? 0);
    if (underWay === 0 || Date.now() - started > TIME_LIMIT_MS) break;
    await sleep(POLL_MS);
  }

  // when each request was placed and turned RUNNING, from its history (written in the transaction of the change)
  const reached = async (state) =>
    (await db.query(`SELECT request_id, min(at) AS at FROM request_event WHERE kind = 'REQUEST_STATE' AND to_state = $1 GROUP BY request_id`, [state])).rows;
  const runningRows = await reached('RUNNING');
  const placedAt = new Map((await reached('PROVISIONING')).map((r) => [r.request_id, r.at.getTime()]));
  const toRunning = runningRows.filter((r) => submittedAt.has(r.request_id)).map((r) => r.at.getTime() - submittedAt.get(r.request_id)).sort((a, b) => a - b);
  const toPlaced = [...placedAt].filter(([id]) => submittedAt.has(id)).map(([id, at]) => at - submittedAt.get(id)).sort((a, b) => a - b);
  const placedToRunning = runningRows.filter((r) => placedAt.has(r.request_id)).map((r) => r.at.getTime() - placedAt.get(r.request_id)).sort((a, b) => a - b);
  const lastRunning = Math.max(...runningRows.map((r) => r.at.getTime()));
  const allRunning = toRunning.length === submittedAt.size && submittedAt.size === requests.length;
  const { rows: instanceRows } = await db.query(
    'SELECT i.request_id, i.attempt, s.name AS site, i.site_instance_id, i.state FROM instance i JOIN site s ON s.id = i.site_id',
  );
  const vmsRunning = instanceRows.filter((r) => r.state === 'RUNNING').length;
  const listings = Object.fromEntries(await Promise.all(specs.map(async (spec, s) => [spec.name, await listSite(endpoints[s])])));
  const { duplicates, orphans, perSite } = compareBooks(listings, instanceRows);

  const seconds = ((allRunning ? lastRunning : Date.now()) - started) / 1000;
  const p50 = percentile(toRunning, 50);
  const p99 = percentile(toRunning, 99);
  const healthCounts = {};
  for (const { registerSite } of health) healthCounts[registerSite.health] = (healthCounts[registerSite.health] ?? 0) + 1;
  console.log(
    `setup: ${SITES} skypool emulate processes (EC2 calls ${LATENCY_MS}-${LATENCY_MS + JITTER_MS} ms, pending ${PENDING_SECONDS} s; health at registration ${JSON.stringify(healthCounts)}), ` +
      `${PROJECTS} projects, ${CLIENTS} clients, PostgreSQL at ${new URL(SERVER_URL).host}`,
  );
  const failed = [...failures].sort((a, b) => b[1] - a[1]).slice(0, 5);
  console.log(
    `submitted: ${submittedAt.size} of ${requests.length} requests (${VMS} VMs) in ${((submitEnd - started) / 1000).toFixed(2)} s` +
      (failed.length ? `; failed ${failed.map(([why, n]) => `${n} x ${why}`).join(', ')}` : ''),
  );
  console.log(
    allRunning
      ? `running: all ${requests.length} requests in ${seconds.toFixed(2)} s from the first submission (${((lastRunning - submitEnd) / 1000).toFixed(2)} s after the last)`
      : `running: NOT all within ${TIME_LIMIT_MS / 1000} s; requests by state ${JSON.stringify(states)}`,
  );
  console.log(`submit -> RUNNING per request: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${toRunning.at(-1)?.toFixed(0)} ms`);
  console.log(
    `of which submit -> placed (PROVISIONING): p50 ${percentile(toPlaced, 50).toFixed(0)} ms, p99 ${percentile(toPlaced, 99).toFixed(0)} ms; ` +
      `placed -> RUNNING: p50 ${percentile(placedToRunning, 50).toFixed(0)} ms, p99 ${percentile(placedToRunning, 99).toFixed(0)} ms (instances pend ${PENDING_SECONDS} s at the site)`,
  );
  console.log(`sites (live at the site / held by the broker): ${perSite.map((s) => `${s.site} ${s.live}/${s.held}`).join(', ')}`);
  console.log(`table: ${JSON.stringify({ figure: `${VMS.toLocaleString('en-US')} VMs on ${SITES} sites: all RUNNING (s)`, skypool: Number(seconds.toFixed(2)), unit: 's' })}`);
  console.log(`scale: ${vmsRunning} VMs on ${SITES} sites RUNNING in ${seconds.toFixed(2)} s, p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, ${duplicates} duplicates, ${orphans} orphans`);
}

const name = `skypool_bench_scale_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: SERVER_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const workDir = mkdtempSync(join(tmpdir(), 'skypool-bench-scale-')); // once nothing before the try below can fail
const cleanUp = async () => {
  await Promise.all([...children].map(stopChild));
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  rmSync(workDir, { recursive: true, force: true });
};
// Ctrl-C or a kill skips the finally below: leave no database or emulator behind then either
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) process.once(signal, () => cleanUp().finally(() => process.exit(code)));
try {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  await main(url.toString(), workDir);
} finally {
  await cleanUp();
}
