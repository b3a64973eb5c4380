// npm run bench:allocator — cycles of the pure allocator core on a synthetic federation
// (bench/allocator-workload.mjs): 200 sites x 10 instance types, 50,000 waiting requests over 500
// projects, deterministic. On a shared machine one run measures the neighbours as much as the
// core, so it runs the cycle BENCH_RUNS times (default 5) on the same input and prints the best
// and the median; the last line gives the best run.
// Prints figures; nothing here is asserted. Runs the built code (npm run build first).
//   BENCH_ALLOCATOR=/path/to/allocator.js   runs another build of the core instead of dist/
//   BENCH_REFERENCE=/path/to/allocator.js   also runs that build, alternating run by run with the
//                                           one measured, and says whether it decides the same
//   BENCH_RESERVATION=0                     holds capacity for no gang (as the broker does with
//                                           SKYPOOL_GANG_RESERVE_HOURS=0, and as builds before it could)
//   BENCH_SITES, BENCH_REQUESTS, BENCH_PROJECTS, BENCH_POLICY (spread or pack)
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { INSTANCE_TYPES_PER_SITE, syntheticFederation } from './allocator-workload.mjs';

const load = async (path) => (await import(path ? pathToFileURL(path).href : '../dist/allocator/core/allocator.js')).allocate;
const allocate = await load(process.env.BENCH_ALLOCATOR);
const reference = process.env.BENCH_REFERENCE ? await load(process.env.BENCH_REFERENCE) : undefined;

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SITES = Number(process.env.BENCH_SITES ?? 200);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 50_000);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 500);

// allocate copies what it changes, so every run starts from the same state
const federation = syntheticFederation({ sites: SITES, projects: PROJECTS, requests: REQUESTS });
// as the broker runs it by default: capacity held for the gang that has waited longest (the requests
// were submitted a second apart, the last a minute ago)
const reservation = process.env.BENCH_RESERVATION === '0' ? undefined : { afterMinutes: 30, holdMinutes: 24 * 60 };
const now = new Date(Math.max(...federation.requests.map((r) => r.createdAt.getTime())) + 60_000);
const input = { ...federation, now, policy: { placement: process.env.BENCH_POLICY ?? 'spread', reservation } };

function cycle(run) {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const decisions = run(input);
  const { user, system } = process.cpuUsage(cpu);
  return { decisions, seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (user + system) / 1e6 };
}
const digest = (decisions) => createHash('sha256').update(JSON.stringify(decisions)).digest('hex').slice(0, 16);
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const rate = (seconds) => Math.round(REQUESTS / seconds);

const times = [];
const referenceTimes = [];
let decisions;
let referenceDecisions;
for (let run = 1; run <= RUNS; run++) {
  const measured = cycle(allocate);
  times.push(measured.seconds);
  decisions ??= measured.decisions;
  // the process's CPU time (with the collector's threads) shows how much of the wall time the neighbours took
  let line = `run ${run}: cycle ${measured.seconds.toFixed(3)} s (CPU ${measured.cpuSeconds.toFixed(3)} s), ${rate(measured.seconds)} decisions/s`;
  if (reference) {
    const other = cycle(reference);
    referenceTimes.push(other.seconds);
    referenceDecisions ??= other.decisions;
    line += `; reference ${other.seconds.toFixed(3)} s (CPU ${other.cpuSeconds.toFixed(3)} s), ${rate(other.seconds)} decisions/s`;
  }
  console.log(line);
}
// the cycle is synchronous, so no timer could sample it: ask the kernel for the peak instead
const peakMiB = process.resourceUsage().maxRSS / 1024;

const placed = decisions.filter((d) => d.kind === 'place').length;
const reasons = {};
for (const d of decisions) if (d.kind === 'wait') reasons[d.reasonCode] = (reasons[d.reasonCode] ?? 0) + 1;
console.log(`federation: ${SITES} sites x ${INSTANCE_TYPES_PER_SITE} instance types, ${REQUESTS} requests over ${PROJECTS} projects; placed ${placed}, waiting ${decisions.length - placed}`);
console.log(`waiting for: ${Object.entries(reasons).map(([code, n]) => `${code} ${n}`).join(', ')}`);
const gang = decisions.find((d) => d.reservation);
if (gang) console.log(`capacity held for gang ${gang.requestId}: ${gang.reason}`);
const best = Math.min(...times);
console.log(`${RUNS} runs: best ${best.toFixed(3)} s (${rate(best)} decisions/s), median ${median(times).toFixed(3)} s (${rate(median(times))} decisions/s)`);
if (reference) {
  const referenceBest = Math.min(...referenceTimes);
  const same = digest(decisions) === digest(referenceDecisions);
  console.log(
    `reference ${process.env.BENCH_REFERENCE}: best ${referenceBest.toFixed(3)} s (${rate(referenceBest)} decisions/s), median ${median(referenceTimes).toFixed(3)} s (${rate(median(referenceTimes))} decisions/s); ` +
      `best ${(referenceBest / best).toFixed(2)}x, median ${(median(referenceTimes) / median(times)).toFixed(2)}x the reference's speed`,
  );
  const why = !same && reservation ? ' (a build before the reservation holds capacity for no gang: BENCH_RESERVATION=0 compares like with like)' : '';
  console.log(`decisions: ${digest(decisions)}, ${same ? 'the same as' : 'DIFFERENT from'} the reference's (${digest(referenceDecisions)})${why}; peak memory below is of both`);
}
console.log(`table: ${JSON.stringify({ figure: 'allocator decisions/s', skypool: rate(best), unit: 'decisions/s' })}`);
console.log(`allocator: ${rate(best)} decisions/s, cycle ${best.toFixed(3)} s, peak ${Math.round(peakMiB)} MB`);
