import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { allocate, evaluate } from './allocator.js';
import type { AllocatorInput, Decision, InstanceTypeOffer, Limits, Placement, ProjectState, Resources, SiteState, WaitingRequest } from './allocator.types.js';
import { fairShareScore } from './fair-share.js';

/**
 * Random workloads against properties the allocator must keep, checked by code written apart
 * from it: plain loops over the sites and a brute-force search over how a gang could be split.
 * fast-check draws the workloads, and shrinks one that fails to a small one that still fails.
 */

/**
 * Each site, project and request is made from a list of numbers fast-check draws (evenly: without
 * its bias towards small values, which would leave the checks below few placements to look at).
 * Shrinking drops whole sites, projects and requests first, then takes numbers towards 0, which
 * reads as the smaller choice: fewer, smaller, the first of a list, and "no".
 */
const DRAWS_PER_ITEM = 64; // a site or request takes about 40
const draws = fc.array(fc.nat({ max: 999_999 }), { minLength: DRAWS_PER_ITEM, maxLength: DRAWS_PER_ITEM });
function drawer(numbers: number[]) {
  let next = 0;
  const int = (n: number) => {
    if (next === numbers.length) throw new Error('a site, project or request took more than DRAWS_PER_ITEM numbers');
    return numbers[next++]! % n;
  };
  /** true with probability p; shrinks to false */
  const chance = (p: number) => int(1000) >= Math.round(1000 * (1 - p));
  return { int, chance, pick: <T>(items: readonly T[]): T => items[int(items.length)]! };
}
type Random = ReturnType<typeof drawer>;
/** A workload: 1 to 5 sites, 1 to 4 projects, up to 20 requests. */
const workloads = fc.noBias(
  fc
    .record({
      sites: fc.array(draws, { minLength: 1, maxLength: 5, size: 'max' }),
      projects: fc.array(draws, { minLength: 1, maxLength: 4, size: 'max' }),
      requests: fc.array(draws, { maxLength: 20, size: 'max' }),
      placement: fc.constantFrom('spread', 'pack'),
    })
    .map(({ sites, projects, requests, placement }) => workload({ sites: sites.map(drawer), projects: projects.map(drawer), requests: requests.map(drawer), placement })),
);

/** Fixed seeds: CI runs the same workloads each time; fast-check prints the seed and the shrunk workload of a failure. */
const RUNS = { numRuns: 400 };

// each type is at least as big as the one before in every resource, as in most clouds' catalogues
const CATALOGUE: InstanceTypeOffer[] = [
  { name: 'a.tiny', vcpus: 1, memoryMiB: 1024, gpus: 0 },
  { name: 'b.small', vcpus: 2, memoryMiB: 4096, gpus: 0 },
  { name: 'c.medium', vcpus: 4, memoryMiB: 8192, gpus: 0 },
  { name: 'd.large', vcpus: 8, memoryMiB: 16384, gpus: 0 },
  { name: 'e.gpu', vcpus: 8, memoryMiB: 32768, gpus: 1 },
  { name: 'f.gpu2', vcpus: 16, memoryMiB: 65536, gpus: 2 },
];
const INSTITUTIONS = ['uni-a', 'uni-b', 'uni-c'];
const IMAGES = ['img-a', 'img-b'];
const REQUIREMENTS = [
  { key: 'gpu', value: 'a100' },
  { key: 'gpu', value: null },
  { key: 'net', value: null },
];

const DIMS = ['vcpus', 'memoryMiB', 'gpus'] as const;
const fraction = (n: number, random: Random) => Math.floor((n * random.int(101)) / 100);
/** The test's own reading of a home share (whole percents here): what is left to others, whole units. */
const poolOf = (site: SiteState): Limits => {
  const keptPercent = Math.round(site.homeShare * 100);
  const part = (n: number) => Math.floor((n * (100 - keptPercent)) / 100);
  return { vcpus: part(site.capacity.vcpus), memoryMiB: part(site.capacity.memoryMiB), gpus: part(site.capacity.gpus), instances: site.capacity.instances === null ? null : part(site.capacity.instances) };
};

function workload(draws: { sites: Random[]; projects: Random[]; requests: Random[]; placement: 'spread' | 'pack' }): AllocatorInput {
  const sites = draws.sites.map((random, i): SiteState => {
    const capacity: Limits = { vcpus: 2 + random.int(48), memoryMiB: 4096 * (2 + random.int(40)), gpus: random.chance(0.3) ? 1 + random.int(4) : 0, instances: random.chance(0.3) ? 1 + random.int(12) : null };
    const site: SiteState = {
      id: `site-${i}`,
      name: `s${i}`,
      institution: random.pick(INSTITUTIONS),
      health: random.pick(['HEALTHY', 'HEALTHY', 'HEALTHY', 'HEALTHY', 'UNKNOWN', 'DEGRADED', 'DOWN'] as const),
      draining: random.chance(0.07),
      capacity,
      homeShare: random.pick([0, 0, 0.25, 0.5, 0.9]),
      lendsHomeShare: random.chance(0.5),
      used: { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 },
      usedByHome: { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 },
      instanceTypes: CATALOGUE.filter(() => random.chance(0.6)),
      images: IMAGES.filter(() => random.chance(0.9)),
      labels: Object.fromEntries([...(random.chance(0.4) ? [['gpu', random.pick(['a100', 'v100'])]] : []), ...(random.chance(0.3) ? [['net', 'ib']] : [])]),
    };
    // what runs there already: others' instances within the pool, the home institution's within the rest
    const pool = poolOf(site);
    for (const dim of DIMS) {
      const others = fraction(pool[dim] / 2, random);
      const home = fraction((capacity[dim] - others) / 2, random);
      site.used[dim] = others + home;
      site.usedByHome[dim] = home;
    }
    const others = pool.instances === null ? random.int(4) : fraction(pool.instances / 2, random);
    const home = capacity.instances === null ? random.int(4) : fraction((capacity.instances - others) / 2, random);
    site.used.instances = others + home;
    site.usedByHome.instances = home;
    return site;
  });
  const projects = draws.projects.map((random, i): ProjectState => {
    const limits: Limits = { vcpus: random.int(200), memoryMiB: 4096 * random.int(120), gpus: random.int(4), instances: random.chance(0.3) ? random.int(20) : null };
    return {
      id: `p${i}`,
      institution: random.pick(INSTITUTIONS),
      limits,
      used: { vcpus: fraction(limits.vcpus / 2, random), memoryMiB: fraction(limits.memoryMiB / 2, random), gpus: fraction(limits.gpus / 2, random), instances: limits.instances === null ? random.int(5) : fraction(limits.instances / 2, random) },
      coreHoursLeft: random.chance(0.4) ? random.int(300) : null,
      gpuHoursLeft: random.chance(0.3) ? random.int(40) : null,
      promisedCoreHours: random.int(60),
      promisedGpuHours: random.int(10),
      usage: random.int(200),
      priorityFactor: random.pick([0.5, 1, 2]),
    };
  });
  const requests = draws.requests.map((random, i): WaitingRequest => {
    const count = 1 + random.int(8);
    return {
      id: `r${i}`,
      projectId: random.chance(0.05) ? 'gone' : random.pick(projects).id,
      image: random.pick(IMAGES),
      vcpus: 1 + random.int(6),
      memoryMiB: 512 * (1 + random.int(16)),
      gpus: random.chance(0.1) ? 1 + random.int(2) : 0,
      count,
      minCount: 1 + random.int(count),
      leaseHours: 1 + random.int(10),
      sites: random.chance(0.2) ? [...sites.filter(() => random.chance(0.5)).map((s) => s.name), ...(random.chance(0.3) ? ['nowhere'] : [])] : null,
      requirements: REQUIREMENTS.filter(() => random.chance(0.06)),
      preferredSites: random.chance(0.3) ? [random.pick(sites).name] : [],
      spanSites: random.chance(0.4),
      held: count > 1 && random.chance(0.2) ? 1 + random.int(count - 1) : 0,
      avoidSites: random.chance(0.2) ? [random.pick(sites).id] : [],
      // distinct creation times, in an order unrelated to the input order
      createdAt: new Date(1_800_000_000_000 + random.int(1000) * 1000 + i),
    };
  });
  return { sites, projects, requests, policy: { placement: draws.placement } };
}

// --- the checker's own view of the filters, quota, budget and room ---

function smallestType(site: SiteState, r: WaitingRequest): InstanceTypeOffer | undefined {
  let best: InstanceTypeOffer | undefined;
  for (const t of site.instanceTypes) {
    if (t.vcpus < r.vcpus || t.memoryMiB < r.memoryMiB || t.gpus < r.gpus) continue;
    if (!best || [t.gpus - best.gpus, t.vcpus - best.vcpus, t.memoryMiB - best.memoryMiB].find((d) => d !== 0)! < 0) best = t;
  }
  return best;
}

/** The instance type `site` would run for `r`, or undefined where a filter stops it. */
function usableType(site: SiteState, r: WaitingRequest): InstanceTypeOffer | undefined {
  if (r.sites !== null && !r.sites.includes(site.name)) return undefined;
  if (!site.images.includes(r.image) || site.health === 'DOWN' || site.draining || r.avoidSites.includes(site.id)) return undefined;
  for (const q of r.requirements) if (!Object.hasOwn(site.labels, q.key) || (q.value !== null && site.labels[q.key] !== q.value)) return undefined;
  return smallestType(site, r);
}

/** How many instances of `t` fit in `limits` above `used`. */
function room(limits: Limits, used: Resources, t: InstanceTypeOffer): number {
  let n = limits.instances === null ? Infinity : limits.instances - used.instances;
  for (const dim of DIMS) if (t[dim] > 0) n = Math.min(n, Math.floor((limits[dim] - used[dim]) / t[dim]));
  return Math.max(0, n);
}

const isForeign = (site: SiteState, p: ProjectState) => site.homeShare > 0 && site.institution !== p.institution;
const foreignUse = (site: SiteState): Resources => ({
  vcpus: site.used.vcpus - site.usedByHome.vcpus,
  memoryMiB: site.used.memoryMiB - site.usedByHome.memoryMiB,
  gpus: site.used.gpus - site.usedByHome.gpus,
  instances: site.used.instances - site.usedByHome.instances,
});

/** How many instances of `t` the site has room for, for project `p`: only the pool for another institution, unless it may borrow. */
function siteRoom(site: SiteState, p: ProjectState, t: InstanceTypeOffer, borrowing: boolean): number {
  const n = room(site.capacity, site.used, t);
  return isForeign(site, p) && !(borrowing && site.lendsHomeShare) ? Math.min(n, room(poolOf(site), foreignUse(site), t)) : n;
}

/** Whether the project's quota and budget hold all of `parts` together. */
function projectHolds(p: ProjectState, parts: [InstanceTypeOffer, number][], leaseHours: number): boolean {
  const sum = (f: (t: InstanceTypeOffer) => number) => parts.reduce((n, [t, k]) => n + f(t) * k, 0);
  for (const dim of DIMS) if (p.used[dim] + sum((t) => t[dim]) > p.limits[dim]) return false;
  if (p.limits.instances !== null && p.used.instances + sum(() => 1) > p.limits.instances) return false;
  if (p.coreHoursLeft !== null && p.promisedCoreHours + sum((t) => t.vcpus * leaseHours) > p.coreHoursLeft && sum((t) => t.vcpus) > 0) return false;
  if (p.gpuHoursLeft !== null && p.promisedGpuHours + sum((t) => t.gpus * leaseHours) > p.gpuHoursLeft && sum((t) => t.gpus) > 0) return false;
  return true;
}

const gangOf = (r: WaitingRequest) => (r.held > 0 ? 1 : r.minCount);

/** Whether `r` could start now: its gang on one site or, if it spans, split over several in any way. */
function couldStart(r: WaitingRequest, p: ProjectState, sites: SiteState[], borrowing: boolean): boolean {
  const options: [InstanceTypeOffer, number][] = [];
  for (const site of sites) {
    const t = usableType(site, r);
    if (t) options.push([t, siteRoom(site, p, t, borrowing)]);
  }
  const gang = gangOf(r);
  if (!r.spanSites) return options.some(([t, n]) => n >= gang && projectHolds(p, [[t, gang]], r.leaseHours));
  const split = (i: number, left: number, parts: [InstanceTypeOffer, number][]): boolean => {
    if (left === 0) return projectHolds(p, parts, r.leaseHours);
    if (i === options.length) return false;
    const [t, n] = options[i]!;
    for (let k = Math.min(n, left); k >= 0; k--) if (split(i + 1, left - k, [...parts, [t, k]])) return true;
    return false;
  };
  return split(0, gang, []);
}

function add(to: Resources, t: InstanceTypeOffer, count: number): void {
  for (const dim of DIMS) to[dim] += t[dim] * count;
  to.instances += count;
}

const within = (used: Resources, limits: Limits) => DIMS.every((dim) => used[dim] <= limits[dim]) && (limits.instances === null || used.instances <= limits.instances);

/**
 * Replays a cycle's decisions in fair-share order, worked out here from `fairShareScore` and the
 * placements made so far, and checks every placement and every wait on the way.
 */
function replay(input: AllocatorInput, decisions: Decision[]): void {
  const sites = new Map(input.sites.map((s) => [s.id, structuredClone(s)]));
  const projects = new Map(input.projects.map((p) => [p.id, structuredClone(p)]));
  const othersUsed = new Map([...sites.values()].map((s) => [s.id, foreignUse(s)]));
  const byId = new Map(decisions.map((d) => [d.requestId, d]));

  const place = (r: WaitingRequest, p: ProjectState, placements: Placement[], borrowing: boolean) => {
    const total = placements.reduce((n, pl) => n + pl.count, 0);
    expect(total).toBeGreaterThanOrEqual(gangOf(r));
    expect(total).toBeLessThanOrEqual(r.count - r.held);
    if (!r.spanSites) expect(placements).toHaveLength(1);
    expect(new Set(placements.map((pl) => pl.siteId)).size).toBe(placements.length);
    for (const pl of placements) {
      const site = sites.get(pl.siteId)!;
      expect(pl.count).toBeGreaterThanOrEqual(1);
      expect(pl.instanceType).toEqual(usableType(site, r));
      expect(pl.borrowed).toBeGreaterThanOrEqual(0);
      expect(pl.borrowed).toBeLessThanOrEqual(pl.count);
      if (!borrowing || !isForeign(site, p) || !site.lendsHomeShare) expect(pl.borrowed).toBe(0);
      add(site.used, pl.instanceType, pl.count);
      if (site.institution === p.institution) add(site.usedByHome, pl.instanceType, pl.count);
      if (isForeign(site, p)) add(othersUsed.get(site.id)!, pl.instanceType, pl.count - pl.borrowed);
      add(p.used, pl.instanceType, pl.count);
      p.promisedCoreHours += pl.instanceType.vcpus * pl.count * r.leaseHours;
      p.promisedGpuHours += pl.instanceType.gpus * pl.count * r.leaseHours;
      expect(within(site.used, site.capacity)).toBe(true);
      expect(within(othersUsed.get(site.id)!, poolOf(site))).toBe(true);
    }
    expect(within(p.used, p.limits)).toBe(true);
    const start = input.projects.find((x) => x.id === p.id)!;
    if (start.coreHoursLeft !== null) expect(p.promisedCoreHours - start.promisedCoreHours).toBeLessThanOrEqual(Math.max(0, start.coreHoursLeft - start.promisedCoreHours));
    if (start.gpuHoursLeft !== null) expect(p.promisedGpuHours - start.promisedGpuHours).toBeLessThanOrEqual(Math.max(0, start.gpuHoursLeft - start.promisedGpuHours));
  };

  /** One pass: projects by score, lowest first, each with its requests oldest first; returns those that waited. */
  const pass = (requests: WaitingRequest[], borrowing: boolean): WaitingRequest[] => {
    const queues = new Map<string, WaitingRequest[]>();
    for (const r of [...requests].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) queues.set(r.projectId, [...(queues.get(r.projectId) ?? []), r]);
    const waiting: WaitingRequest[] = [];
    for (;;) {
      let next: WaitingRequest[] | undefined;
      let best = Infinity;
      for (const queue of queues.values()) {
        if (queue.length === 0) continue;
        const p = projects.get(queue[0]!.projectId);
        const score = p ? fairShareScore(p) : Infinity;
        if (!next || score < best || (score === best && queue[0]!.createdAt < next[0]!.createdAt)) [next, best] = [queue, score];
      }
      if (!next) return waiting;
      const r = next.shift()!;
      const d = byId.get(r.id)!;
      const p = projects.get(r.projectId);
      if (!p) {
        expect(d).toEqual({ requestId: r.id, kind: 'wait', reasonCode: 'QUOTA', reason: 'the project has no allocation in force' });
        continue;
      }
      // a placement that borrows was made in the second pass: in the first, that request waited
      if (d.kind === 'place' && d.placements.some((pl) => pl.borrowed > 0) === borrowing) {
        place(r, p, d.placements, borrowing);
        continue;
      }
      // it waits: then it could not start here, in the state the requests served before it left
      if (couldStart(r, p, [...sites.values()], borrowing)) throw new Error(`request ${r.id} waits (${JSON.stringify(d)}) though it could start${borrowing ? ' borrowing' : ''}`);
      waiting.push(r);
    }
  };

  const secondPass = pass(input.requests, false);
  pass(secondPass, true);
}

describe('allocate, on random workloads', () => {
  it('never goes over a limit, splits a request only as allowed, and never passes over a request that fits', () => {
    const seen = { placed: 0, waited: 0, spanned: 0, borrowed: 0, toppedUp: 0 };
    fc.assert(
      fc.property(workloads, (input) => {
        const decisions = allocate(input);
        expect(decisions.map((d) => d.requestId)).toEqual(input.requests.map((r) => r.id));
        replay(input, decisions);
        decisions.forEach((d, i) => {
          if (d.kind === 'wait') {
            seen.waited++;
            return;
          }
          seen.placed++;
          if (d.placements.length > 1) seen.spanned++;
          if (d.placements.some((p) => p.borrowed > 0)) seen.borrowed++;
          if (input.requests[i]!.held > 0) seen.toppedUp++;
        });
      }),
      { ...RUNS, seed: 1 },
    );
    // the workloads reach every path: both outcomes, parts on several sites, the second pass, top-ups
    expect(seen.placed).toBeGreaterThan(500);
    expect(seen.waited).toBeGreaterThan(500);
    expect(seen.spanned).toBeGreaterThan(20);
    expect(seen.borrowed).toBeGreaterThan(20);
    expect(seen.toppedUp).toBeGreaterThan(50);
  });

  it('gives explain the decision the cycle makes for a request on its own', () => {
    fc.assert(
      fc.property(workloads, (input) => {
        for (const r of input.requests.slice(0, 3)) {
          const alone = allocate({ ...input, requests: [r] })[0];
          const explained = evaluate(r, input.projects.find((p) => p.id === r.projectId), input.sites, input.policy);
          expect(explained.decision).toEqual(alone);
        }
      }),
      { ...RUNS, seed: 2 },
    );
  });
});
