// npm run bench:allocator — one full cycle of the pure allocator core on a synthetic federation:
// 200 sites x 10 instance types, 50,000 waiting requests over 500 projects (deterministic data),
// with institutions and home shares, labels and requirements, budgets, fair-share usage,
// spanning, top-ups, cool-downs and preferred sites.
// Prints figures; nothing here is asserted. Runs the built code (npm run build first);
// BENCH_ALLOCATOR=/path/to/allocator.js runs another build of it.
import { pathToFileURL } from 'node:url';

const { allocate } = await import(process.env.BENCH_ALLOCATOR ? pathToFileURL(process.env.BENCH_ALLOCATOR).href : '../dist/allocator/core/allocator.js');

const SITES = Number(process.env.BENCH_SITES ?? 200);
const TYPES = 10;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 50_000);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 500);
const INSTITUTIONS = 20;
const IMAGES = ['ubuntu-22.04', 'rocky-9', 'rstudio-4', 'cuda-12', 'debian-12'];
const GPU_MODELS = ['a100', 'v100', 'h100'];

// mulberry32: a small PRNG whose low bits are as good as its high ones
let seed = 20261125;
const random = (n) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
};
const resources = (vcpus, memoryMiB, gpus, instances) => ({ vcpus, memoryMiB, gpus, instances });

const sites = Array.from({ length: SITES }, (_, s) => {
  const gpus = random(3) === 0 ? 8 + random(24) : 0;
  const capacity = resources(512 + random(2048), (2 + random(8)) * 1024 * 1024, gpus, random(4) === 0 ? 200 + random(400) : null);
  const homeShare = random(3) === 0 ? (2 + random(4)) / 10 : 0;
  const labels = {};
  if (gpus > 0) labels.gpu = GPU_MODELS[random(GPU_MODELS.length)];
  if (random(5) === 0) labels.network = 'infiniband';
  const health = ['HEALTHY', 'HEALTHY', 'HEALTHY', 'HEALTHY', 'HEALTHY', 'HEALTHY', 'UNKNOWN', 'DEGRADED', 'DOWN'][random(9)];
  // some of what is already running there, part of it by the site's own institution
  const used = resources(random(capacity.vcpus / 4), random(capacity.memoryMiB / 4), 0, 0);
  used.instances = Math.floor(used.vcpus / 4);
  const usedByHome = homeShare > 0 ? resources(Math.floor(used.vcpus / 2), Math.floor(used.memoryMiB / 2), 0, Math.floor(used.instances / 2)) : resources(0, 0, 0, 0);
  return {
    id: `site-${s}`,
    name: `site-${s}`,
    institution: `inst-${s % INSTITUTIONS}`,
    health,
    draining: random(50) === 0,
    capacity,
    homeShare,
    lendsHomeShare: homeShare > 0 && random(2) === 0,
    used,
    usedByHome,
    instanceTypes: Array.from({ length: TYPES }, (_, t) => ({ name: `t${t}`, vcpus: 2 ** (t % 6), memoryMiB: 2048 * 2 ** (t % 6), gpus: t >= 8 && gpus > 0 ? t - 7 : 0 })),
    images: IMAGES.filter(() => random(3) !== 0),
    labels,
  };
});

const projects = Array.from({ length: PROJECTS }, (_, p) => {
  const budgeted = random(3) === 0;
  return {
    id: `project-${p}`,
    institution: `inst-${random(INSTITUTIONS)}`,
    limits: resources(64 + random(1024), 1024 * 1024 * (1 + random(4)), random(4), random(5) === 0 ? 20 + random(200) : null),
    used: resources(0, 0, 0, 0),
    coreHoursLeft: budgeted ? 1000 + random(50_000) : null,
    gpuHoursLeft: budgeted ? random(2000) : null,
    promisedCoreHours: budgeted ? random(500) : 0,
    promisedGpuHours: 0,
    usage: random(100_000),
    priorityFactor: [1, 1, 1, 2, 0.5][random(5)],
  };
});

const requests = Array.from({ length: REQUESTS }, (_, r) => {
  const count = 1 + random(8);
  const minCount = 1 + random(count);
  const gpus = random(50) === 0 ? 1 : 0;
  const requirements = [];
  if (gpus > 0 && random(2) === 0) requirements.push({ key: 'gpu', value: GPU_MODELS[random(GPU_MODELS.length)] });
  if (random(20) === 0) requirements.push({ key: 'network', value: random(2) === 0 ? 'infiniband' : null });
  return {
    id: `request-${r}`,
    projectId: `project-${random(PROJECTS)}`,
    image: IMAGES[random(IMAGES.length)],
    vcpus: 1 + random(8),
    memoryMiB: 1024 * (1 + random(16)),
    gpus,
    count,
    minCount,
    leaseHours: 1 + random(72),
    sites: random(10) === 0 ? [`site-${random(SITES)}`, `site-${random(SITES)}`] : null,
    requirements,
    preferredSites: random(10) === 0 ? [`site-${random(SITES)}`] : [],
    spanSites: random(5) === 0,
    held: random(20) === 0 ? random(count) : 0,
    avoidSites: random(20) === 0 ? [`site-${random(SITES)}`] : [],
    createdAt: new Date(1_790_000_000_000 + r * 1000),
  };
});

const started = process.hrtime.bigint();
const decisions = allocate({ sites, projects, requests, policy: { placement: process.env.BENCH_POLICY ?? 'spread' } });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
// the cycle is synchronous, so no timer could sample it: ask the kernel for the peak instead
const peakMiB = process.resourceUsage().maxRSS / 1024;

const placed = decisions.filter((d) => d.kind === 'place').length;
const reasons = {};
for (const d of decisions) if (d.kind === 'wait') reasons[d.reasonCode] = (reasons[d.reasonCode] ?? 0) + 1;
console.log(`federation: ${SITES} sites x ${TYPES} instance types, ${REQUESTS} requests over ${PROJECTS} projects; placed ${placed}, waiting ${decisions.length - placed}`);
console.log(`waiting for: ${Object.entries(reasons).map(([code, n]) => `${code} ${n}`).join(', ')}`);
console.log(`allocator: ${Math.round(decisions.length / seconds)} decisions/s, cycle ${seconds.toFixed(3)} s, peak ${Math.round(peakMiB)} MB`);
