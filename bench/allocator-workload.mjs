// The synthetic federation bench:allocator runs the allocator core on, deterministic for a seed:
// sites with institutions and home shares, labels, health and what already runs there; projects
// with limits, budgets, fair-share usage and priority factors; waiting requests with gangs,
// requirements, allowed and preferred sites, spanning, top-ups and cool-downs.
// allocator-decisions.spec.ts runs the core on smaller ones of these and compares its decisions
// with those the core made before it was optimised.

const INSTITUTIONS = 20;
const IMAGES = ['ubuntu-22.04', 'rocky-9', 'rstudio-4', 'cuda-12', 'debian-12'];
const GPU_MODELS = ['a100', 'v100', 'h100'];
export const INSTANCE_TYPES_PER_SITE = 10;

/** mulberry32: a small PRNG whose low bits are as good as its high ones; `random(n)` is 0..n-1. */
function generator(seed) {
  let state = seed;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const resources = (vcpus, memoryMiB, gpus, instances) => ({ vcpus, memoryMiB, gpus, instances });

/**
 * An allocator input (policy aside) of `sites` sites, `projects` projects and `requests` waiting
 * requests; `siteSize` scales the sites' capacity (a fraction of 1 makes a crowded federation).
 */
export function syntheticFederation({ sites: siteCount = 200, projects: projectCount = 500, requests: requestCount = 50_000, seed = 20261125, siteSize = 1 } = {}) {
  const random = generator(seed);
  const scaled = (n) => Math.ceil(n * siteSize);

  const sites = Array.from({ length: siteCount }, (_, s) => {
    const gpus = random(3) === 0 ? 8 + random(24) : 0;
    const capacity = resources(scaled(512 + random(2048)), scaled((2 + random(8)) * 1024 * 1024), scaled(gpus), random(4) === 0 ? scaled(200 + random(400)) : null);
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
      instanceTypes: Array.from({ length: INSTANCE_TYPES_PER_SITE }, (_, t) => ({ name: `t${t}`, vcpus: 2 ** (t % 6), memoryMiB: 2048 * 2 ** (t % 6), gpus: t >= 8 && gpus > 0 ? t - 7 : 0 })),
      images: IMAGES.filter(() => random(3) !== 0),
      labels,
    };
  });

  const projects = Array.from({ length: projectCount }, (_, p) => {
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

  const requests = Array.from({ length: requestCount }, (_, r) => {
    const count = 1 + random(8);
    const minCount = 1 + random(count);
    const gpus = random(50) === 0 ? 1 : 0;
    const requirements = [];
    if (gpus > 0 && random(2) === 0) requirements.push({ key: 'gpu', value: GPU_MODELS[random(GPU_MODELS.length)] });
    if (random(20) === 0) requirements.push({ key: 'network', value: random(2) === 0 ? 'infiniband' : null });
    return {
      id: `request-${r}`,
      projectId: `project-${random(projectCount)}`,
      image: IMAGES[random(IMAGES.length)],
      vcpus: 1 + random(8),
      memoryMiB: 1024 * (1 + random(16)),
      gpus,
      count,
      minCount,
      leaseHours: 1 + random(72),
      sites: random(10) === 0 ? [`site-${random(siteCount)}`, `site-${random(siteCount)}`] : null,
      requirements,
      preferredSites: random(10) === 0 ? [`site-${random(siteCount)}`] : [],
      spanSites: random(5) === 0,
      held: random(20) === 0 ? random(count) : 0,
      avoidSites: random(20) === 0 ? [`site-${random(siteCount)}`] : [],
      createdAt: new Date(1_790_000_000_000 + r * 1000),
    };
  });

  return { sites, projects, requests };
}
