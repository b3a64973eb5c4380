// npm run bench:allocator — one full cycle of the pure allocator core on a synthetic federation:
// 200 sites x 10 instance types, 50,000 waiting requests over 500 projects (deterministic data).
// Prints figures; nothing here is asserted. Runs the built code (npm run build first).
import { allocate } from '../dist/allocator/allocator.js';

const SITES = Number(process.env.BENCH_SITES ?? 200);
const TYPES = 10;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 50_000);
const PROJECTS = 500;
const IMAGES = ['ubuntu-22.04', 'rocky-9', 'rstudio-4', 'cuda-12', 'debian-12'];

let seed = 20261125;
const random = (n) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};

const sites = Array.from({ length: SITES }, (_, s) => ({
  id: `site-${s}`,
  name: `site-${s}`,
  health: random(20) === 0 ? 'DOWN' : 'HEALTHY',
  draining: false,
  capacity: { vcpus: 512 + random(2048), memoryMiB: (2 + random(8)) * 1024 * 1024, gpus: random(3) === 0 ? 8 + random(24) : 0, instances: null },
  used: { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 },
  instanceTypes: Array.from({ length: TYPES }, (_, t) => ({ name: `t${t}`, vcpus: 2 ** (t % 6), memoryMiB: 2048 * 2 ** (t % 6), gpus: t >= 8 ? 1 : 0 })),
  images: IMAGES.filter(() => random(3) !== 0),
}));
const projects = Array.from({ length: PROJECTS }, (_, p) => ({
  id: `project-${p}`,
  limits: { vcpus: 64 + random(1024), memoryMiB: 1024 * 1024 * (1 + random(4)), gpus: random(4), instances: null },
  used: { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 },
}));
const requests = Array.from({ length: REQUESTS }, (_, r) => {
  const count = 1 + random(4);
  return {
    id: `request-${r}`,
    projectId: `project-${random(PROJECTS)}`,
    image: IMAGES[random(IMAGES.length)],
    vcpus: 1 + random(8),
    memoryMiB: 1024 * (1 + random(16)),
    gpus: random(50) === 0 ? 1 : 0,
    count,
    minCount: 1 + random(count),
    sites: random(10) === 0 ? [`site-${random(SITES)}`, `site-${random(SITES)}`] : null,
    createdAt: new Date(1_790_000_000_000 + r * 1000),
  };
});

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const started = process.hrtime.bigint();
const decisions = allocate({ sites, projects, requests });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);

const placed = decisions.filter((d) => d.kind === 'place').length;
console.log(`federation: ${SITES} sites x ${TYPES} instance types, ${REQUESTS} requests over ${PROJECTS} projects; placed ${placed}, waiting ${decisions.length - placed}`);
console.log(`allocator: ${Math.round(decisions.length / seconds)} decisions/s, cycle ${seconds.toFixed(3)} s, peak ${Math.round(peak / 1024 / 1024)} MB`);
