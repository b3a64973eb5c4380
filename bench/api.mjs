// npm run bench:api — what the broker's HTTP and GraphQL stack costs per request, on PostgreSQL.
// Three loads, measured in interleaved rounds so that the machine's noise hits each alike:
//   { __typename } from a bare @apollo/server 5 (startStandaloneServer: a Node HTTP server, CORS and
//                  a JSON body parser; the leanest Apollo there is) in this process: the reference;
//   { __typename } from Skypool, with everything a request goes through (Nest, Express, the
//                  token's lookup, the permission guard, rate and input limits, error formatting);
//   the page       resourceRequests(first: 100) { id state instances { id state } } from Skypool,
//                  over BENCH_REQUESTS requests (default 220) of 2 instances each.
// Skypool's requests carry a RESEARCHER service account's token of the project, as a batch job's
// would (BENCH_TOKEN=admin: the bootstrap admin's, which is checked without the database). The query-cost budget is raised (the limiter still measures and counts every query):
// at its default a principal may fetch some 40 such pages a second.
// BENCH_CLIENTS keep-alive clients (default 8) in a child process send one request at a time
// each, for BENCH_ROUND_SECONDS (default 1.5) per load and round, BENCH_ROUNDS rounds (default 10):
// short rounds, so that a burst of the neighbours' work falls on all three loads alike. A rate is
// all the rounds' answers over all their time, and the ratio is the two typename rates'.
// Prints figures; nothing here is asserted. Runs the built code (npm run build first);
// BENCH_DIST=/path/to/dist measures another build (see support.mjs).
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectWithAllocation } from './http.mjs';
import { DIST, GraphqlClient, median, percentile, SERVER_URL, startBenchBroker, startRemoteSites, withBenchDatabase } from './support.mjs';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 220);
const TOKEN = process.env.BENCH_TOKEN || 'researcher';
if (!['researcher', 'admin'].includes(TOKEN)) throw new Error(`BENCH_TOKEN: researcher or admin, got ${TOKEN}`);
const INSTANCES_EACH = 2;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 1.5);
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const IMAGE = 'ubuntu-22.04';
const TYPENAME = JSON.stringify({ query: '{ __typename }' });
const PAGE = JSON.stringify({ query: '{ resourceRequests(first: 100) { id state instances { id state } } }' });

/** Two sites with room for every instance, whose instances run at once, served from a process of their own. */
const SITES = ['bench-a', 'bench-b'].map((name, s) => ({
  name,
  region: 'us-east-1',
  accessKeyId: `BENCHKEY${s}`,
  secretAccessKey: `bench-secret-${s}`,
  capacity: { vcpus: 100_000, memoryMiB: 400_000_000 },
  instanceTypes: [{ name: 'm1.small', vcpus: 1, memoryMiB: 2048 }],
  images: [{ name: IMAGE, imageId: `ami-0a1b2c3d4e5f6000${s}` }],
  pendingSeconds: 0,
}));

/** The sites' descriptors for the broker, reaching them at `base`. */
function writeSites(dir, base) {
  for (const site of SITES) {
    writeFileSync(
      join(dir, `${site.name}.yaml`),
      [
        `name: ${site.name}`,
        'institution: Bench University',
        `region: ${site.region}`,
        `endpoint: ${base}/${site.name}`,
        `accessKeyId: ${site.accessKeyId}`,
        `secretAccessKey: ${site.secretAccessKey}`,
        `capacity: { vcpus: ${site.capacity.vcpus}, memoryMiB: ${site.capacity.memoryMiB} }`,
        'instanceTypes:',
        ...site.instanceTypes.map((t) => `  - { name: ${t.name}, vcpus: ${t.vcpus}, memoryMiB: ${t.memoryMiB} }`),
        'images:',
        ...site.images.map((i) => `  - { image: ${i.name}, imageId: ${i.imageId} }`),
        '',
      ].join('\n'),
    );
  }
}

/** A project with BENCH_REQUESTS placed requests and their instances; resolves to a researcher's token of it. */
async function seed(admin) {
  const projectId = await projectWithAllocation((q, v) => admin.gql(q, v), { name: 'bench', institution: 'Bench University' }, { vcpus: 1_000_000, memoryMiB: 2_000_000_000 });
  const submit = 'mutation($i: SubmitRequestInput!) { submitRequest(input: $i) { __typename ... on UserError { message } } }';
  for (let r = 0; r < REQUESTS; r++) {
    const { submitRequest } = await admin.gql(submit, { i: { projectId, image: IMAGE, vcpus: 1, memoryMiB: 1024, count: INSTANCES_EACH, leaseHours: 24 } });
    if (submitRequest.__typename !== 'ResourceRequest') throw new Error(`seeding: ${JSON.stringify(submitRequest)}`);
  }
  // until every request runs with its instances, so that nothing changes while the loads run
  const deadline = performance.now() + 60_000;
  for (;;) {
    const { resourceRequests } = await admin.gql('{ resourceRequests(first: 1000) { state instances { state } } }');
    const running = resourceRequests.filter((r) => r.state === 'RUNNING' && r.instances.length === INSTANCES_EACH).length;
    if (running === REQUESTS) break;
    if (performance.now() > deadline) throw new Error(`seeding: ${running} of ${REQUESTS} requests running after 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const { createServiceAccount } = await admin.gql('mutation($i: CreateServiceAccountInput!) { createServiceAccount(input: $i) { token } }', {
    i: { name: 'bench-researcher', role: 'RESEARCHER', projectId },
  });
  return createServiceAccount.token;
}

/** The bare reference: the same trivial query from the leanest Apollo Server 5. */
async function startBareApollo() {
  const server = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}

/** The load generator in its own process; `run(job)` resolves to its answer (one job at a time). */
function startLoadClient() {
  const child = fork(new URL('./load-client.mjs', import.meta.url));
  let pending;
  child.on('message', (result) => (result.error ? pending.reject(new Error(result.error)) : pending.resolve(result)));
  child.on('error', (err) => pending?.reject(err));
  const run = (job) =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject };
      child.send(job);
    });
  return { run, close: () => child.send('close') };
}

/**
 * BENCH_CPU_PROFILE=folder: after the rounds, one more period of each load (not counted)
 * under the V8 profiler of this process, saved as <folder>/api-<load>.cpuprofile (open it in
 * Chrome's DevTools or speedscope) to see where a request's time goes.
 */
async function profile(folder, load, loadClient, file) {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  await measure(load, loadClient, ROUND_SECONDS);
  const { profile: result } = await post('Profiler.stop');
  session.disconnect();
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, file), JSON.stringify(result));
  console.log(`profile: ${join(folder, file)}`);
}

/** One load for one round: its rate, latencies, and the CPU time of this process (the servers') per request. */
async function measure(load, loadClient, seconds) {
  const cpu = process.cpuUsage();
  const result = await loadClient.run({ url: load.url, headers: load.headers, body: load.body, expect: load.expect, clients: CLIENTS, seconds });
  const used = process.cpuUsage(cpu);
  for (const [why, n] of Object.entries(result.failures)) load.failures.set(why, (load.failures.get(why) ?? 0) + n);
  return { count: result.count, seconds: result.seconds, latencies: result.latencies, cpuMs: (used.user + used.system) / 1000 };
}

/** A load over all its rounds: its rate, the best round's, its latencies and the servers' CPU per request. */
function summary(load) {
  const sum = (f) => load.rounds.reduce((total, r) => total + f(r), 0);
  const all = load.rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    rate: sum((r) => r.count) / sum((r) => r.seconds),
    best: Math.max(...load.rounds.map((r) => r.count / r.seconds)),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    cpu: sum((r) => r.cpuMs) / sum((r) => r.count),
  };
}

async function main(databaseUrl, workDir) {
  const sitesDir = join(workDir, 'sites');
  mkdirSync(sitesDir);
  const sites = await startRemoteSites(SITES);
  writeSites(sitesDir, sites.base);
  const broker = await startBenchBroker({
    SKYPOOL_DATA_DIR: join(workDir, 'data'),
    SKYPOOL_SITES: sitesDir,
    SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
    DATABASE_URL: databaseUrl,
    // the limiter still prices every query; its budget must not be what the bench measures
    SKYPOOL_QUERY_COST_PER_SECOND: '1000000000',
    SKYPOOL_QUERY_COST_BURST: '10000000000',
  });
  const admin = new GraphqlClient(broker.url, ADMIN_TOKEN);
  const bare = await startBareApollo();
  const loadClient = startLoadClient();
  try {
    const researcherToken = await seed(admin);
    const token = TOKEN === 'admin' ? ADMIN_TOKEN : researcherToken;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const loads = [
      { name: '{ __typename } bare @apollo/server 5', url: bare.url, body: TYPENAME, expect: '"__typename":"Query"' },
      { name: '{ __typename } Skypool', url: `${broker.url}/graphql`, body: TYPENAME, expect: '"__typename":"Query"' },
      { name: 'page of 100 Skypool', url: `${broker.url}/graphql`, body: PAGE, expect: '"instances"' },
    ].map((load) => ({ ...load, headers, rounds: [], failures: new Map() }));
    const [bareTypename, typename, page] = loads;

    // a round to warm up (JIT, connections, the database's caches), not counted
    for (const load of loads) await measure(load, loadClient, 1);
    for (let round = 0; round < ROUNDS; round++) {
      // the order turns every round, so that neither drift nor what runs before favours one load
      const order = round % 2 === 0 ? loads : [...loads].reverse();
      for (const load of order) load.rounds.push(await measure(load, loadClient, ROUND_SECONDS));
    }

    if (process.env.BENCH_CPU_PROFILE) {
      await profile(process.env.BENCH_CPU_PROFILE, bareTypename, loadClient, 'api-bare-typename.cpuprofile');
      await profile(process.env.BENCH_CPU_PROFILE, typename, loadClient, 'api-typename.cpuprofile');
      await profile(process.env.BENCH_CPU_PROFILE, page, loadClient, 'api-page.cpuprofile');
    }

    const [b, t, p] = loads.map(summary);
    const ratio = t.rate / b.rate;
    const rate = (r) => r.count / r.seconds;
    const ratios = typename.rounds.map((r, i) => rate(r) / rate(bareTypename.rounds[i])).sort((x, y) => x - y);
    console.log(`setup: PostgreSQL at ${new URL(SERVER_URL).host}, the build in ${DIST}, ${REQUESTS} requests of ${INSTANCES_EACH} instances each; ${TOKEN === 'admin' ? "the bootstrap admin's token" : "a RESEARCHER service account's token"}`);
    console.log(`load: ${CLIENTS} keep-alive clients in a child process, ${ROUNDS} interleaved rounds of ${ROUND_SECONDS} s per load`);
    for (const [load, s] of [
      [bareTypename, b],
      [typename, t],
      [page, p],
    ]) {
      console.log(
        `${load.name}: ${Math.round(s.rate)} req/s (best round ${Math.round(s.best)}), p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms; ` +
          `server CPU ${s.cpu.toFixed(3)} ms per request`,
      );
      const failed = [...load.failures].sort((x, y) => y[1] - x[1]).slice(0, 3);
      if (failed.length) console.log(`  failed: ${failed.map(([why, n]) => `${n} x ${why}`).join('; ')}`);
    }
    console.log(`typename ratio to bare Apollo: ${ratio.toFixed(2)}; round by round from ${ratios[0].toFixed(2)} to ${ratios.at(-1).toFixed(2)}, median ${median(ratios).toFixed(2)}`);
    console.log(`table: ${JSON.stringify({ figure: '{ __typename } req/s', skypool: Math.round(t.rate), reference: Math.round(b.rate), referenceName: 'bare @apollo/server 5', unit: 'req/s' })}`);
    console.log(`table: ${JSON.stringify({ figure: 'page of 100 req/s (PostgreSQL)', skypool: Math.round(p.rate), unit: 'req/s' })}`);
    console.log(`api: ${Math.round(t.rate)} req/s typename (${ratio.toFixed(2)} of bare Apollo), ${Math.round(p.rate)} req/s page of 100, p99 ${p.p99.toFixed(0)} ms`);
  } finally {
    loadClient.close();
    admin.close();
    await bare.stop();
    await broker.close();
    sites.stop();
  }
}

await withBenchDatabase(main);
