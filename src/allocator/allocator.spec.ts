import { describe, expect, it } from '@jest/globals';
import { allocate, smallestFittingType } from './allocator.js';
import type { AllocatorInput, ProjectState, SiteState, WaitingRequest } from './allocator.types.js';

const small = { name: 'm1.small', vcpus: 1, memoryMiB: 2048, gpus: 0 };
const medium = { name: 'm1.medium', vcpus: 2, memoryMiB: 4096, gpus: 0 };
const large = { name: 'm1.large', vcpus: 4, memoryMiB: 8192, gpus: 0 };
const zero = { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 };

function site(name: string, over: Partial<SiteState> = {}): SiteState {
  return {
    id: `site-${name}`,
    name,
    health: 'HEALTHY',
    draining: false,
    capacity: { vcpus: 64, memoryMiB: 262144, gpus: 0, instances: null },
    used: { ...zero },
    instanceTypes: [small, medium, large],
    images: ['ubuntu-22.04'],
    ...over,
  };
}

function project(id: string, vcpus = 64, over: Partial<ProjectState> = {}): ProjectState {
  return { id, limits: { vcpus, memoryMiB: 1 << 20, gpus: 0, instances: null }, used: { ...zero }, ...over };
}

let seq = 0;
function request(over: Partial<WaitingRequest> = {}): WaitingRequest {
  seq++;
  return { id: `r${seq}`, projectId: 'p1', image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 2048, gpus: 0, count: 1, minCount: 1, sites: null, createdAt: new Date(1_000_000 + seq), ...over };
}

describe('smallestFittingType', () => {
  it('picks the smallest type that gives at least what is asked', () => {
    expect(smallestFittingType([large, small, medium], { vcpus: 2, memoryMiB: 3000, gpus: 0 })?.name).toBe('m1.medium');
    expect(smallestFittingType([small], { vcpus: 2, memoryMiB: 1, gpus: 0 })).toBeUndefined();
  });
});

describe('allocate', () => {
  it('places a request on the site with the smallest fitting instance type', () => {
    const input: AllocatorInput = { sites: [site('a', { instanceTypes: [large] }), site('b')], projects: [project('p1')], requests: [request()] };
    const [d] = allocate(input);
    expect(d).toMatchObject({ kind: 'place', siteId: 'site-b', count: 1 });
    expect(d?.kind === 'place' && d.instanceType.name).toBe('m1.medium');
  });

  it('counts the instance type, not the numbers requested, against the quota', () => {
    // 3 vCPUs asked -> m1.large (4 vCPUs) -> 2 of them need 8 vCPUs, the project has 6
    const decisions = allocate({ sites: [site('a')], projects: [project('p1', 6)], requests: [request({ vcpus: 3, count: 2, minCount: 2 })] });
    expect(decisions[0]).toMatchObject({ kind: 'wait', reasonCode: 'QUOTA' });
    expect(decisions[0]?.kind === 'wait' && decisions[0].reason).toBe('project quota: 0/6 vCPUs in use, 8 more needed');
  });

  it('starts a gang of minCount together or not at all', () => {
    const decisions = allocate({ sites: [site('a', { capacity: { vcpus: 6, memoryMiB: 1 << 20, gpus: 0, instances: null } })], projects: [project('p1')], requests: [request({ count: 4, minCount: 4 })] });
    expect(decisions[0]).toMatchObject({ kind: 'wait', reasonCode: 'SITE_CAPACITY' });
  });

  it('places as many as fit between minCount and count', () => {
    const decisions = allocate({ sites: [site('a', { capacity: { vcpus: 6, memoryMiB: 1 << 20, gpus: 0, instances: null } })], projects: [project('p1')], requests: [request({ count: 4, minCount: 2 })] });
    expect(decisions[0]).toMatchObject({ kind: 'place', count: 3 });
  });

  it('says why it waits: image, instance type, site down, unknown site', () => {
    const sites = [site('a'), site('b', { health: 'DOWN', images: ['rstudio-4'] })];
    const decide = (r: Partial<WaitingRequest>) => allocate({ sites, projects: [project('p1')], requests: [request(r)] })[0];
    expect(decide({ image: 'centos-7' })).toMatchObject({ kind: 'wait', reasonCode: 'NO_IMAGE', reason: "no site has image 'centos-7'" });
    expect(decide({ vcpus: 64 })).toMatchObject({ kind: 'wait', reasonCode: 'NO_INSTANCE_TYPE' });
    expect(decide({ image: 'rstudio-4' })).toMatchObject({ kind: 'wait', reasonCode: 'SITE_DOWN', reason: 'site b is DOWN' });
    expect(decide({ sites: ['nowhere'] })).toMatchObject({ kind: 'wait', reasonCode: 'NO_SITE' });
  });

  it('places nothing on a draining site and says so', () => {
    const sites = [site('a', { draining: true }), site('b', { health: 'DOWN' })];
    expect(allocate({ sites: [sites[0]!], projects: [project('p1')], requests: [request()] })[0]).toMatchObject({ kind: 'wait', reasonCode: 'SITE_DRAINING', reason: 'site a is draining' });
    expect(allocate({ sites, projects: [project('p1')], requests: [request()] })[0]).toMatchObject({ kind: 'wait', reasonCode: 'SITE_DOWN', reason: 'site a is draining; site b is DOWN' });
    expect(allocate({ sites: [...sites, site('c')], projects: [project('p1')], requests: [request()] })[0]).toMatchObject({ kind: 'place', siteId: 'site-c' });
  });

  it('keeps to the allowed sites', () => {
    const decisions = allocate({ sites: [site('a'), site('b')], projects: [project('p1')], requests: [request({ sites: ['b'] })] });
    expect(decisions[0]).toMatchObject({ kind: 'place', siteId: 'site-b' });
  });

  it('serves the project that uses less of its share first', () => {
    const busy = project('busy', 64, { used: { vcpus: 60, memoryMiB: 0, gpus: 0, instances: 30 } });
    const idle = project('idle', 64);
    const sites = [site('a', { capacity: { vcpus: 2, memoryMiB: 1 << 20, gpus: 0, instances: null } })];
    const older = request({ projectId: 'busy' });
    const newer = request({ projectId: 'idle' });
    const decisions = allocate({ sites, projects: [busy, idle], requests: [older, newer] });
    expect(decisions.find((d) => d.requestId === newer.id)).toMatchObject({ kind: 'place' });
    expect(decisions.find((d) => d.requestId === older.id)).toMatchObject({ kind: 'wait', reasonCode: 'SITE_CAPACITY' });
  });

  it('never goes over a project limit or a site capacity, whatever the workload', () => {
    let state = 42;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    for (let round = 0; round < 200; round++) {
      const sites = Array.from({ length: 1 + random(4) }, (_, i) =>
        site(`s${i}`, { capacity: { vcpus: 4 + random(40), memoryMiB: 8192 + random(65536), gpus: 0, instances: random(2) ? null : 1 + random(10) } }),
      );
      const projects = Array.from({ length: 1 + random(3) }, (_, i) => project(`p${i}`, random(32), { limits: { vcpus: random(32), memoryMiB: random(65536), gpus: 0, instances: random(2) ? null : random(8) } }));
      const requests = Array.from({ length: random(30) }, () => {
        const count = 1 + random(4);
        return request({ projectId: `p${random(projects.length)}`, vcpus: 1 + random(4), memoryMiB: 512 + random(8192), count, minCount: 1 + random(count) });
      });
      const decisions = allocate({ sites, projects, requests });
      expect(decisions).toHaveLength(requests.length);
      const placed = decisions.filter((d) => d.kind === 'place');
      for (const s of sites) {
        const here = placed.filter((d) => d.siteId === s.id);
        expect(here.reduce((n, d) => n + d.instanceType.vcpus * d.count, 0)).toBeLessThanOrEqual(s.capacity.vcpus);
        expect(here.reduce((n, d) => n + d.instanceType.memoryMiB * d.count, 0)).toBeLessThanOrEqual(s.capacity.memoryMiB);
        if (s.capacity.instances !== null) expect(here.reduce((n, d) => n + d.count, 0)).toBeLessThanOrEqual(s.capacity.instances);
      }
      for (const p of projects) {
        const mine = placed.filter((d) => requests.find((r) => r.id === d.requestId)!.projectId === p.id);
        expect(mine.reduce((n, d) => n + d.instanceType.vcpus * d.count, 0)).toBeLessThanOrEqual(p.limits.vcpus);
        expect(mine.reduce((n, d) => n + d.instanceType.memoryMiB * d.count, 0)).toBeLessThanOrEqual(p.limits.memoryMiB);
        if (p.limits.instances !== null) expect(mine.reduce((n, d) => n + d.count, 0)).toBeLessThanOrEqual(p.limits.instances);
      }
      for (const d of placed) {
        const r = requests.find((x) => x.id === d.requestId)!;
        expect(d.count).toBeGreaterThanOrEqual(r.minCount);
        expect(d.count).toBeLessThanOrEqual(r.count);
      }
    }
  });
});
