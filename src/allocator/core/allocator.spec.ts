import { describe, expect, it } from '@jest/globals';
import { allocate, evaluate, waitReason } from './allocator.js';
import type { AllocatorInput, Decision, InstanceTypeOffer, ProjectState, Resources, SiteState, SiteVerdict, WaitingRequest } from './allocator.types.js';
import { projectState, siteState, waitingRequest } from '../../../test/helpers/allocator-states.js';
import { budgetFits, howManyFit, siteVerdict, smallestFittingType } from './site-filter.js';

const small: InstanceTypeOffer = { name: 'm1.small', vcpus: 1, memoryMiB: 2048, gpus: 0 };
const medium: InstanceTypeOffer = { name: 'm1.medium', vcpus: 2, memoryMiB: 4096, gpus: 0 };
const large: InstanceTypeOffer = { name: 'm1.large', vcpus: 4, memoryMiB: 8192, gpus: 0 };
const gpuLarge: InstanceTypeOffer = { name: 'g1.large', vcpus: 8, memoryMiB: 32768, gpus: 1 };
const resources = (vcpus = 0, memoryMiB = 0, gpus = 0, instances = 0): Resources => ({ vcpus, memoryMiB, gpus, instances });

const site = (name: string, over: Partial<SiteState> = {}): SiteState =>
  siteState(name, { capacity: { vcpus: 64, memoryMiB: 262144, gpus: 0, instances: null }, instanceTypes: [small, medium, large], images: ['ubuntu-22.04'], ...over });

/** A site with room for `vcpus` and plenty of memory. */
const sized = (name: string, vcpus: number, over: Partial<SiteState> = {}) => site(name, { capacity: { vcpus, memoryMiB: 1 << 20, gpus: 0, instances: null }, ...over });

const project = (id: string, over: Partial<ProjectState> = {}): ProjectState => projectState(id, { limits: { vcpus: 64, memoryMiB: 1 << 20, gpus: 0, instances: null }, ...over });

let seq = 0;
/** 2 vCPUs and 2 GiB: an m1.medium where the catalogue above is offered. */
function request(over: Partial<WaitingRequest> = {}): WaitingRequest {
  seq++;
  return waitingRequest(`r${seq}`, { vcpus: 2, memoryMiB: 2048, createdAt: new Date(1_000_000 + seq * 1000), ...over });
}

/** One request against `sites`, for project p1 unless `projects` says otherwise. */
function decide(sites: SiteState[], r: Partial<WaitingRequest> = {}, projects: ProjectState[] = [project('p1')], policy?: AllocatorInput['policy']): Decision {
  return allocate({ sites, projects, requests: [request(r)], policy })[0]!;
}

/** A placement as `siteId:count`, and `+borrowed` when it borrows a home share. */
function where(decision: Decision | undefined): string[] {
  if (decision?.kind !== 'place') throw new Error(`expected a placement, got ${JSON.stringify(decision)}`);
  return decision.placements.map((p) => `${p.siteId}:${p.count}${p.borrowed ? `+${p.borrowed}` : ''}`);
}

const wait = (reasonCode: string, reason?: string) => (reason === undefined ? { kind: 'wait', reasonCode } : { kind: 'wait', reasonCode, reason });

describe('smallestFittingType', () => {
  it('picks the smallest type that gives at least what is asked', () => {
    expect(smallestFittingType([large, small, medium], { vcpus: 2, memoryMiB: 3000, gpus: 0 })?.name).toBe('m1.medium');
    expect(smallestFittingType([small], { vcpus: 2, memoryMiB: 1, gpus: 0 })).toBeUndefined();
  });

  it('ranks by GPUs, then vCPUs, then memory, then name', () => {
    expect(smallestFittingType([gpuLarge, large], { vcpus: 1, memoryMiB: 1, gpus: 0 })?.name).toBe('m1.large');
    expect(smallestFittingType([gpuLarge, large], { vcpus: 1, memoryMiB: 1, gpus: 1 })?.name).toBe('g1.large');
    const twin = { ...medium, name: 'a.twin' };
    expect(smallestFittingType([medium, twin], { vcpus: 2, memoryMiB: 1, gpus: 0 })?.name).toBe('a.twin');
  });
});

describe('howManyFit and budgetFits', () => {
  it('takes the tightest resource, and no limit on the count when instances is null', () => {
    expect(howManyFit({ vcpus: 10, memoryMiB: 1 << 20, gpus: 0, instances: null }, resources(3), medium)).toBe(3);
    expect(howManyFit({ vcpus: 10, memoryMiB: 1 << 20, gpus: 0, instances: 2 }, resources(0, 0, 0, 1), medium)).toBe(1);
    expect(howManyFit({ vcpus: 10, memoryMiB: 1 << 20, gpus: 0, instances: null }, resources(12), medium)).toBe(0);
  });

  it('counts what running leases are promised against the budget', () => {
    expect(budgetFits(project('p', { coreHoursLeft: 10, promisedCoreHours: 3 }), medium, 2)).toBe(1);
    expect(budgetFits(project('p', { coreHoursLeft: 10, promisedCoreHours: 2 }), medium, 2)).toBe(2);
    expect(budgetFits(project('p', { coreHoursLeft: 10, promisedCoreHours: 12 }), medium, 2)).toBe(0);
    expect(budgetFits(project('p', { gpuHoursLeft: 3 }), gpuLarge, 2)).toBe(1);
    expect(budgetFits(project('p'), gpuLarge, 1000)).toBe(Infinity);
  });
});

describe('allocate: where a request goes', () => {
  it('places a request on the site with the smallest fitting instance type', () => {
    const d = decide([site('a', { instanceTypes: [large] }), site('b')]);
    expect(where(d)).toEqual(['site-b:1']);
    expect(d.kind === 'place' && d.placements[0]!.instanceType.name).toBe('m1.medium');
  });

  it('counts the instance type, not the numbers requested, against the quota', () => {
    // 3 vCPUs asked -> m1.large (4 vCPUs) -> 2 of them need 8 vCPUs, the project has 6
    const limited = [project('p1', { limits: { vcpus: 6, memoryMiB: 1 << 20, gpus: 0, instances: null } })];
    expect(decide([site('a')], { vcpus: 3, count: 2, minCount: 2 }, limited)).toMatchObject(wait('QUOTA', 'project quota: 0/6 vCPUs in use, 8 more needed'));
    expect(where(decide([site('a')], { vcpus: 3, count: 2, minCount: 1 }, limited))).toEqual(['site-a:1']);
  });

  it('names the binding quota: memory, GPUs, instance count', () => {
    const p = (limits: ProjectState['limits'], used = resources()) => [project('p1', { limits, used })];
    expect(decide([site('a')], {}, p({ vcpus: 64, memoryMiB: 4000, gpus: 0, instances: null }))).toMatchObject(wait('QUOTA', 'project quota: 0/4000 MiB of memory in use, 4096 more needed'));
    expect(decide([site('a')], {}, p({ vcpus: 64, memoryMiB: 1 << 20, gpus: 0, instances: 3 }, resources(0, 0, 0, 3)))).toMatchObject(wait('QUOTA', 'project quota: 3/3 instances in use, 1 more needed'));
    const gpuSite = site('g', { capacity: { vcpus: 64, memoryMiB: 1 << 20, gpus: 4, instances: null }, instanceTypes: [gpuLarge] });
    expect(decide([gpuSite], { gpus: 1 }, p({ vcpus: 64, memoryMiB: 1 << 20, gpus: 0, instances: null }))).toMatchObject(wait('QUOTA', 'project quota: 0/0 GPUs in use, 1 more needed'));
  });

  it('starts a gang of minCount together or not at all', () => {
    expect(decide([sized('a', 6)], { count: 4, minCount: 4 })).toMatchObject(wait('SITE_CAPACITY', 'site a is full: 0/6 vCPUs in use, 8 more needed'));
  });

  it('places as many as fit between minCount and count', () => {
    expect(where(decide([sized('a', 6)], { count: 4, minCount: 2 }))).toEqual(['site-a:3']);
    expect(where(decide([sized('a', 64)], { count: 4, minCount: 2 }))).toEqual(['site-a:4']);
  });

  it('tops up a running request one instance at a time, to at most count', () => {
    // 2 of 4 held: the gang is already running, one more may start alone
    expect(where(decide([sized('a', 2)], { count: 4, minCount: 4, held: 2 }))).toEqual(['site-a:1']);
    expect(where(decide([sized('a', 64)], { count: 4, minCount: 4, held: 2 }))).toEqual(['site-a:2']);
    expect(decide([sized('a', 2)], { count: 4, minCount: 4 })).toMatchObject(wait('SITE_CAPACITY'));
  });

  it('still places a small request where a bigger one of the same shape found no room in the cycle', () => {
    const big = request({ count: 3, minCount: 3 });
    const small = request({ count: 1 });
    const [b, s] = allocate({ sites: [sized('a', 4), sized('b', 2)], projects: [project('p1')], requests: [big, small] });
    expect(b).toMatchObject(wait('SITE_CAPACITY'));
    expect(where(s)).toEqual(['site-a:1']);
  });

  it('keeps to the allowed sites', () => {
    expect(where(decide([site('a'), site('b')], { sites: ['b'] }))).toEqual(['site-b:1']);
    expect(decide([site('a')], { sites: ['nowhere', 'elsewhere'] })).toMatchObject(wait('NO_SITE', 'none of the allowed sites (nowhere, elsewhere) is registered'));
  });
});

describe('allocate: spanning sites', () => {
  const three = () => [sized('a', 4), sized('b', 4), sized('c', 4)];

  it('spreads a gang over several sites in rank order, and only when it may', () => {
    expect(where(decide(three(), { count: 5, minCount: 5, spanSites: true }))).toEqual(['site-a:2', 'site-b:2', 'site-c:1']);
    expect(where(decide(three(), { count: 5, minCount: 5, spanSites: true, preferredSites: ['c'] }))).toEqual(['site-c:2', 'site-a:2', 'site-b:1']);
    expect(decide(three(), { count: 5, minCount: 5 })).toMatchObject(wait('SITE_CAPACITY'));
  });

  it('places the whole gang or nothing, and never more than count', () => {
    expect(decide(three(), { count: 7, minCount: 7, spanSites: true })).toMatchObject(
      wait('SITE_CAPACITY', 'the sites that fit have room for 6 of the 7 instances that must start together'),
    );
    expect(where(decide(three(), { count: 3, minCount: 1, spanSites: true }))).toEqual(['site-a:2', 'site-b:1']);
    expect(where(decide(three(), { count: 9, minCount: 2, spanSites: true }))).toEqual(['site-a:2', 'site-b:2', 'site-c:2']);
  });

  it('keeps a request on one site when one site can take all of it', () => {
    expect(where(decide([...three(), sized('z', 64)], { count: 4, minCount: 2, spanSites: true }))).toEqual(['site-z:4']);
  });

  it('shares the project quota between the parts, and says when the quota binds', () => {
    const limited = [project('p1', { limits: { vcpus: 6, memoryMiB: 1 << 20, gpus: 0, instances: null } })];
    expect(where(decide(three(), { count: 4, minCount: 3, spanSites: true }, limited))).toEqual(['site-a:2', 'site-b:1']);
    expect(decide([sized('z', 64)], { count: 4, minCount: 4, spanSites: true }, limited)).toMatchObject(wait('QUOTA', 'project quota: 0/6 vCPUs in use, 8 more needed'));
  });

  it('uses a site named twice in the allowed sites once', () => {
    expect(where(decide([sized('a', 4), sized('b', 4)], { count: 4, minCount: 1, spanSites: true, sites: ['a', 'a'] }))).toEqual(['site-a:2']);
  });

  it('tops up a running spanning request over several sites', () => {
    expect(where(decide(three(), { count: 8, minCount: 8, held: 4, spanSites: true }))).toEqual(['site-a:2', 'site-b:2']);
  });
});

describe('allocate: filters and ranking', () => {
  it('matches label requirements, key alone or key=value', () => {
    const sites = [site('a', { labels: { gpu: 'a100' } }), site('b', { labels: { gpu: 'v100', network: 'infiniband' } }), site('c')];
    expect(where(decide(sites, { requirements: [{ key: 'gpu', value: 'v100' }] }))).toEqual(['site-b:1']);
    expect(where(decide(sites, { requirements: [{ key: 'gpu', value: null }] }))).toEqual(['site-a:1']);
    expect(where(decide(sites, { requirements: [{ key: 'gpu', value: null }, { key: 'network', value: 'infiniband' }] }))).toEqual(['site-b:1']);
    expect(decide(sites, { requirements: [{ key: 'gpu', value: 'h100' }] })).toMatchObject(
      wait('MISSING_LABEL', 'no fitting site has gpu=h100 (site a lacks label gpu=h100; site b lacks label gpu=h100; site c lacks label gpu=h100)'),
    );
  });

  it('does not take what every object inherits for a label', () => {
    expect(decide([site('a')], { requirements: [{ key: 'constructor', value: null }] })).toMatchObject(wait('MISSING_LABEL', 'no fitting site has constructor (site a lacks label constructor)'));
  });

  it('ranks preferred sites first, in their order, among equally small types', () => {
    const sites = [site('a'), site('b'), site('c')];
    expect(where(decide(sites, { preferredSites: ['c', 'b'] }))).toEqual(['site-c:1']);
    expect(where(decide(sites, { preferredSites: ['nowhere', 'b', 'c'] }))).toEqual(['site-b:1']);
    // a smaller instance type beats a preference
    expect(where(decide([site('a'), site('c', { instanceTypes: [large] })], { preferredSites: ['c'] }))).toEqual(['site-a:1']);
  });

  it('spreads to the emptiest site, or packs the fullest that still fits', () => {
    const sites = () => [site('a', { used: resources(40) }), site('b', { used: resources(10) }), site('c', { used: resources(63) })];
    expect(where(decide(sites()))).toEqual(['site-b:1']);
    expect(where(decide(sites(), {}, undefined, { placement: 'pack' }))).toEqual(['site-a:1']);
  });

  it('ranks healthy sites before unknown and degraded ones, and never uses a DOWN one', () => {
    const sites = [site('a', { health: 'DEGRADED' }), site('b', { health: 'UNKNOWN' }), site('c'), site('d', { health: 'DOWN' })];
    expect(where(decide(sites))).toEqual(['site-c:1']);
    expect(where(decide([sites[0]!, sites[1]!, sites[3]!]))).toEqual(['site-b:1']);
    expect(where(decide([sites[0]!, sites[3]!]))).toEqual(['site-a:1']);
    expect(decide([sites[3]!])).toMatchObject(wait('SITE_DOWN', 'site d is DOWN'));
  });

  it('places nothing on a draining site and says so', () => {
    const sites = [site('a', { draining: true }), site('b', { health: 'DOWN' })];
    expect(decide([sites[0]!])).toMatchObject(wait('SITE_DRAINING', 'site a is draining'));
    expect(decide(sites)).toMatchObject(wait('SITE_DOWN', 'site a is draining; site b is DOWN'));
    expect(where(decide([...sites, site('c')]))).toEqual(['site-c:1']);
  });

  it('avoids a site in cool-down after a failed attempt there', () => {
    expect(where(decide([site('a'), site('b')], { avoidSites: ['site-a'] }))).toEqual(['site-b:1']);
    expect(decide([site('a')], { avoidSites: ['site-a'] })).toMatchObject(wait('COOL_DOWN', 'site a is avoided for a while after a failed attempt there'));
  });

  it('says when no site has the image or the instance type', () => {
    const sites = [site('a'), site('b', { images: ['rstudio-4'] })];
    expect(decide(sites, { image: 'centos-7' })).toMatchObject(wait('NO_IMAGE', "no site has image 'centos-7'"));
    expect(decide(sites, { image: 'centos-7', sites: ['a'] })).toMatchObject(wait('NO_IMAGE', "no allowed site has image 'centos-7'"));
    expect(decide(sites, { vcpus: 64 })).toMatchObject(wait('NO_INSTANCE_TYPE', "no site with image 'ubuntu-22.04' has an instance type with 64 vCPUs, 2048 MiB"));
    expect(decide(sites, { gpus: 1 })).toMatchObject(wait('NO_INSTANCE_TYPE', "no site with image 'ubuntu-22.04' has an instance type with 2 vCPUs, 2048 MiB, 1 GPUs"));
  });

  it('lists at most three sites in a reason', () => {
    const sites = ['a', 'b', 'c', 'd', 'e'].map((n) => sized(n, 1));
    expect(decide(sites)).toMatchObject(
      wait('SITE_CAPACITY', 'site a is full: 0/1 vCPUs in use, 2 more needed; site b is full: 0/1 vCPUs in use, 2 more needed; site c is full: 0/1 vCPUs in use, 2 more needed; and 2 more'),
    );
  });
});

describe('allocate: budget', () => {
  const budget = (coreHoursLeft: number, promisedCoreHours = 0) => [project('p1', { coreHoursLeft, promisedCoreHours })];

  it('counts the core-hours promised to running leases; a request needing more than is free waits', () => {
    // an m1.medium for 2 hours: 4 core-hours each
    expect(decide([site('a')], { leaseHours: 2 }, budget(10, 7))).toMatchObject(wait('BUDGET', 'project budget: 3 core-hours free (10 left, 7 promised to running leases), 4 needed'));
    expect(where(decide([site('a')], { leaseHours: 2 }, budget(10, 6)))).toEqual(['site-a:1']);
    expect(where(decide([site('a')], { leaseHours: 2, count: 3 }, budget(10)))).toEqual(['site-a:2']);
  });

  it('holds the budget a placement commits for the rest of the cycle', () => {
    const first = request({ leaseHours: 2, count: 2, minCount: 2 });
    const second = request({ leaseHours: 2 });
    const [a, b] = allocate({ sites: [site('a')], projects: budget(10), requests: [first, second] });
    expect(where(a)).toEqual(['site-a:2']);
    expect(b).toMatchObject(wait('BUDGET', 'project budget: 2 core-hours free (10 left, 8 promised to running leases), 4 needed'));
  });

  it('counts GPU-hours the same way', () => {
    const gpuSite = site('g', { capacity: { vcpus: 64, memoryMiB: 1 << 20, gpus: 4, instances: null }, instanceTypes: [gpuLarge] });
    const limits = { vcpus: 64, memoryMiB: 1 << 20, gpus: 4, instances: null };
    const gpuProject = (promisedGpuHours: number) => [project('p1', { limits, gpuHoursLeft: 5, promisedGpuHours })];
    expect(decide([gpuSite], { gpus: 1, leaseHours: 4 }, gpuProject(2))).toMatchObject(wait('BUDGET', 'project budget: 3 GPU-hours free (5 left, 2 promised to running leases), 4 needed'));
    expect(where(decide([gpuSite], { gpus: 1, leaseHours: 4 }, gpuProject(1)))).toEqual(['site-g:1']);
  });
});

describe('allocate: home shares', () => {
  // 8 vCPUs, half kept for uni-x: the pool others may use holds 2 m1.medium
  const shared = (over: Partial<SiteState> = {}) => sized('a', 8, { institution: 'uni-x', homeShare: 0.5, ...over });
  const foreign = project('p1', { institution: 'uni-a' });
  const home = project('home', { institution: 'uni-x', usage: 100 });

  it('limits other institutions to the pooled part; its own institution uses all of it', () => {
    expect(where(decide([shared()], { count: 2, minCount: 2 }, [foreign]))).toEqual(['site-a:2']);
    expect(decide([shared()], { count: 3, minCount: 3 }, [foreign])).toMatchObject(wait('HOME_SHARE', 'site a keeps 50% for uni-x; the pooled part has 0/4 vCPUs in use, 6 more needed'));
    expect(where(decide([shared()], { projectId: 'home', count: 4, minCount: 4 }, [home]))).toEqual(['site-a:4']);
  });

  it('counts only what other institutions hold against the pool', () => {
    expect(where(decide([shared({ used: resources(4), usedByHome: resources(4) })], { count: 2, minCount: 2 }, [foreign]))).toEqual(['site-a:2']);
    expect(decide([shared({ used: resources(4) })], {}, [foreign])).toMatchObject(wait('HOME_SHARE', 'site a keeps 50% for uni-x; the pooled part has 4/4 vCPUs in use, 2 more needed'));
  });

  it('lends the unused home share, and counts what is borrowed', () => {
    expect(where(decide([shared({ lendsHomeShare: true })], { count: 3, minCount: 3 }, [foreign]))).toEqual(['site-a:3+1']);
    const note = siteVerdict(request({ count: 3, minCount: 3 }), foreign, shared({ lendsHomeShare: true }), { mayBorrow: false });
    expect(note).toMatchObject({
      code: 'HOME_SHARE',
      reason: 'keeps 50% for uni-x; the pooled part has 0/4 vCPUs in use, 6 more needed (its unused home share is lent only after its own institution\'s requests)',
    });
  });

  it('lends only after the requests of its own institution had their pick in the same cycle', () => {
    // the foreign request is older and its project has the better share, yet the home request goes first
    const borrower = request({ count: 3, minCount: 3 });
    const own = request({ projectId: 'home', count: 2, minCount: 2 });
    const [b, o] = allocate({ sites: [shared({ lendsHomeShare: true })], projects: [foreign, home], requests: [borrower, own] });
    expect(where(o)).toEqual(['site-a:2']);
    expect(b).toMatchObject(wait('SITE_CAPACITY', 'site a is full: 4/8 vCPUs in use, 6 more needed'));
  });

  it('takes from the pool before borrowing', () => {
    // a gang that fits the pool never borrows, even when it may
    expect(where(decide([shared({ lendsHomeShare: true })], { count: 4, minCount: 1 }, [foreign]))).toEqual(['site-a:2']);
    expect(where(decide([sized('b', 8, { used: resources(4) }), shared({ lendsHomeShare: true })], { count: 2, minCount: 2 }, [foreign]))).toEqual(['site-a:2']);
  });

  it('lets a spanning request borrow as a single-site one would', () => {
    // 8 vCPUs, 75% kept: the pool holds one m1.medium
    const lender = shared({ homeShare: 0.75, lendsHomeShare: true });
    expect(where(decide([lender], { count: 2, minCount: 2 }, [foreign]))).toEqual(['site-a:2+1']);
    expect(where(decide([lender], { count: 2, minCount: 2, spanSites: true }, [foreign]))).toEqual(['site-a:2+1']);
  });

  it('keeps the pooled part whole despite rounding', () => {
    // 10% of 100 vCPUs and of 10 instances is left to others: 10 vCPUs, 1 instance
    const big = site('a', { homeShare: 0.9, capacity: { vcpus: 100, memoryMiB: 1 << 20, gpus: 0, instances: null } });
    expect(where(decide([big], { vcpus: 1, count: 10, minCount: 10 }, [foreign]))).toEqual(['site-a:10']);
    const counted = site('a', { homeShare: 0.9, capacity: { vcpus: 100, memoryMiB: 1 << 20, gpus: 0, instances: 10 } });
    expect(where(decide([counted], { vcpus: 1, count: 2 }, [foreign]))).toEqual(['site-a:1']);
  });
});

describe('allocate: fair-share order', () => {
  const oneSlot = () => [sized('a', 2)];

  it('serves the project with the lower score first', () => {
    const older = request({ projectId: 'busy' });
    const newer = request({ projectId: 'idle' });
    for (const busy of [project('busy', { usage: 100 }), project('busy', { promisedCoreHours: 100 })]) {
      const [o, n] = allocate({ sites: oneSlot(), projects: [busy, project('idle', { usage: 10 })], requests: [older, newer] });
      expect(where(n)).toEqual(['site-a:1']);
      expect(o).toMatchObject(wait('SITE_CAPACITY'));
    }
  });

  it('weighs usage by the priority factor', () => {
    const older = request({ projectId: 'two' });
    const newer = request({ projectId: 'one' });
    const projects = [project('two', { usage: 100, priorityFactor: 2 }), project('one', { usage: 150, priorityFactor: 1 })];
    const [o, n] = allocate({ sites: oneSlot(), projects, requests: [older, newer] });
    expect(where(n)).toEqual(['site-a:1']);
    expect(o).toMatchObject(wait('SITE_CAPACITY'));
  });

  it('serves the oldest request first within a project, and on equal scores', () => {
    const newer = request({ createdAt: new Date(5_000_000) });
    const older = request({ createdAt: new Date(4_000_000) });
    const [n, o] = allocate({ sites: oneSlot(), projects: [project('p1')], requests: [newer, older] });
    expect(where(o)).toEqual(['site-a:1']);
    expect(n).toMatchObject(wait('SITE_CAPACITY'));
  });

  it('raises a project score with each placement, so two projects alternate within one cycle', () => {
    const a = [1, 2, 3].map(() => request({ projectId: 'A' }));
    const b = [1, 2, 3].map(() => request({ projectId: 'B' }));
    const decisions = allocate({ sites: [sized('s', 8)], projects: [project('A'), project('B')], requests: [...a, ...b] });
    expect(decisions.map((d) => d.kind)).toEqual(['place', 'place', 'wait', 'place', 'place', 'wait']);
  });

  it('serves requests of a project without an allocation last, and says why they wait', () => {
    const orphan = request({ projectId: 'gone' });
    const newer = request({ projectId: 'p1' });
    const [o, n] = allocate({ sites: oneSlot(), projects: [project('p1', { usage: 1e9 })], requests: [orphan, newer] });
    expect(where(n)).toEqual(['site-a:1']);
    expect(o).toMatchObject(wait('QUOTA', 'the project has no allocation in force'));
  });

  it('leaves its input as it was', () => {
    const input: AllocatorInput = { sites: [site('a', { homeShare: 0.5, lendsHomeShare: true })], projects: [project('p1')], requests: [request({ count: 30, minCount: 20 }), request()] };
    const before = JSON.stringify(input);
    allocate(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});

describe('evaluate (explain)', () => {
  it('lists the sites that fit first, in rank order, then the others, closest first', () => {
    const sites = [site('a', { images: ['rocky-9'] }), sized('b', 1), site('c', { used: resources(32) }), site('d'), site('e', { health: 'DOWN' })];
    const { decision, verdicts } = evaluate(request(), project('p1'), sites);
    expect(where(decision)).toEqual(['site-d:1']);
    expect(verdicts.map((v) => `${v.site} ${v.code}`)).toEqual(['d FITS', 'c FITS', 'b SITE_CAPACITY', 'e SITE_DOWN', 'a NO_IMAGE']);
    expect(verdicts[0]).toMatchObject({ reason: '1 x m1.medium would start', fits: 1, borrowed: 0, instanceType: medium });
    expect(verdicts[4]).toMatchObject({ reason: "does not offer image 'ubuntu-22.04'", instanceType: null });
  });

  it('decides as the cycle does', () => {
    const lender = sized('a', 8, { homeShare: 0.5, lendsHomeShare: true });
    const foreign = project('p1');
    const cases: [SiteState[], Partial<WaitingRequest>][] = [
      [[sized('a', 4), sized('b', 4)], { count: 4, minCount: 4, spanSites: true }],
      [[lender], { count: 3, minCount: 3 }],
      [[lender], { count: 4, minCount: 1 }],
      [[sized('z', 2), sized('a', 2)], { count: 2, minCount: 2 }],
      [[site('a', { draining: true }), site('b', { health: 'DOWN' })], {}],
    ];
    for (const [sites, r] of cases) {
      const one = request(r);
      expect(evaluate(one, foreign, sites).decision).toEqual(allocate({ sites, projects: [foreign], requests: [one] })[0]);
    }
  });

  it('shows what a site would lend', () => {
    const { verdicts } = evaluate(request({ count: 3, minCount: 3 }), project('p1'), [sized('a', 8, { homeShare: 0.5, lendsHomeShare: true })]);
    expect(verdicts[0]).toMatchObject({ code: 'FITS', reason: '3 x m1.medium would start, 1 on borrowed home share', fits: 3, borrowed: 1 });
  });

  it('says why a request of a project without an allocation waits', () => {
    expect(evaluate(request(), undefined, [site('a')])).toEqual({ decision: { requestId: expect.any(String), ...wait('QUOTA', 'the project has no allocation in force') }, verdicts: [] });
  });
});

describe('waitReason', () => {
  const verdict = (site: string, code: SiteVerdict['code'], reason: string = code): SiteVerdict => ({ siteId: `site-${site}`, site, code, reason, instanceType: null, fits: 0, borrowed: 0 });

  it('takes the filter that stopped the sites that came closest', () => {
    expect(waitReason(request(), [verdict('a', 'NO_IMAGE'), verdict('b', 'QUOTA', 'project quota: 8/8 vCPUs in use, 2 more needed'), verdict('c', 'SITE_DOWN')])).toEqual({
      reasonCode: 'QUOTA',
      reason: 'project quota: 8/8 vCPUs in use, 2 more needed',
    });
    expect(waitReason(request(), [verdict('a', 'COOL_DOWN', 'is avoided'), verdict('b', 'SITE_CAPACITY', 'is full'), verdict('c', 'HOME_SHARE', 'keeps it')])).toEqual({
      reasonCode: 'HOME_SHARE',
      reason: 'site c keeps it',
    });
  });

  it('takes a DOWN site and a draining one as the same stage', () => {
    expect(waitReason(request(), [verdict('a', 'SITE_DRAINING', 'is draining'), verdict('b', 'SITE_DOWN', 'is DOWN')])).toEqual({ reasonCode: 'SITE_DOWN', reason: 'site a is draining; site b is DOWN' });
  });

  it('says NO_SITE when no allowed site is registered', () => {
    expect(waitReason(request({ sites: ['x'] }), [verdict('a', 'NOT_ALLOWED')])).toEqual({ reasonCode: 'NO_SITE', reason: 'none of the allowed sites (x) is registered' });
  });

  it('gives the cycle and explain the same words', () => {
    const sites = [sized('z', 1), sized('a', 1)];
    const one = request();
    const [cycle] = allocate({ sites, projects: [project('p1')], requests: [one] });
    expect(cycle).toEqual(evaluate(one, project('p1'), sites).decision);
    expect(cycle).toMatchObject(wait('SITE_CAPACITY', 'site a is full: 0/1 vCPUs in use, 2 more needed; site z is full: 0/1 vCPUs in use, 2 more needed'));
  });
});
