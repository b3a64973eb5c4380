import { describe, expect, it } from '@jest/globals';
import { allocate } from './allocator.js';
import type { ProjectState, SiteState, WaitingRequest } from './allocator.types.js';
import { projectState, siteState, waitingRequest } from '../../../test/helpers/allocator-states.js';
import { decayed, fairShareScore } from './fair-share.js';

describe('fairShareScore', () => {
  it('is usage plus what running leases are promised, times the priority factor', () => {
    expect(fairShareScore({ usage: 30, promisedCoreHours: 10, priorityFactor: 1 })).toBe(40);
    expect(fairShareScore({ usage: 30, promisedCoreHours: 10, priorityFactor: 2 })).toBe(80);
    expect(fairShareScore({ usage: 0, promisedCoreHours: 0, priorityFactor: 0.5 })).toBe(0);
  });
});

describe('decayed', () => {
  it('halves usage every half-life', () => {
    expect(decayed(100, 24, 24)).toBeCloseTo(50);
    expect(decayed(100, 72, 24)).toBeCloseTo(12.5);
    expect(decayed(100, 12, 24)).toBeCloseTo(100 / Math.SQRT2);
  });

  it('keeps usage as it is when no time passed, or the clock went back', () => {
    expect(decayed(100, 0, 24)).toBe(100);
    expect(decayed(100, -5, 24)).toBe(100);
  });

  it('gives the same whether decayed in one step or many', () => {
    let stepped = 100;
    for (let i = 0; i < 144; i++) stepped = decayed(stepped, 1 / 6, 24);
    expect(stepped).toBeCloseTo(decayed(100, 24, 24), 9);
  });
});

/**
 * A federation run for `days` on a simulated clock: a cycle every 10 minutes; each project
 * always has more of the same requests waiting (1 x 2 vCPUs for a 4-hour lease) than the sites
 * have room for; instances end at lease end; what they ran is charged as usage, which decays
 * with a one-day half-life. Returns the core-hours each project got.
 */
function run(factors: number[], days = 30): number[] {
  // the simulated clock counts whole minutes, so leases end exactly on a step
  const STEP_MINUTES = 10;
  const LEASE_HOURS = 4;
  const HALF_LIFE = 24;
  const sites: SiteState[] = ['a', 'b'].map((name) =>
    siteState(name, { capacity: { vcpus: 32, memoryMiB: 1 << 20, gpus: 0, instances: null }, instanceTypes: [{ name: 'm1.medium', vcpus: 2, memoryMiB: 4096, gpus: 0 }], images: ['ubuntu-22.04'] }),
  );
  let created = 0;
  const newRequest = (projectId: string): WaitingRequest => {
    created++;
    return waitingRequest(`r${created}`, { projectId, vcpus: 2, memoryMiB: 2048, leaseHours: LEASE_HOURS, createdAt: new Date(created * 1000) });
  };
  const ids = factors.map((_, i) => `p${i}`);
  const usage = factors.map(() => 0);
  const got = factors.map(() => 0);
  const waiting: WaitingRequest[][] = ids.map(() => []);
  let running: { project: number; site: string; vcpus: number; ends: number }[] = [];

  for (let now = 0; now < days * 24 * 60; now += STEP_MINUTES) {
    running = running.filter((i) => i.ends > now);
    const projects: ProjectState[] = factors.map((priorityFactor, p) => {
      const mine = running.filter((i) => i.project === p);
      return projectState(ids[p]!, {
        limits: { vcpus: 1000, memoryMiB: 1 << 30, gpus: 0, instances: null },
        used: { vcpus: mine.reduce((n, i) => n + i.vcpus, 0), memoryMiB: mine.length * 4096, gpus: 0, instances: mine.length },
        promisedCoreHours: mine.reduce((n, i) => n + (i.vcpus * (i.ends - now)) / 60, 0),
        usage: usage[p]!,
        priorityFactor,
      });
    });
    for (const site of sites) {
      const here = running.filter((i) => i.site === site.id);
      site.used = { vcpus: here.reduce((n, i) => n + i.vcpus, 0), memoryMiB: here.length * 4096, gpus: 0, instances: here.length };
    }
    // one more than could start: as good as endless demand, and the cycle has less to explain
    const free = sites.reduce((n, s) => n + (s.capacity.vcpus - s.used.vcpus) / 2, 0);
    for (let p = 0; p < ids.length; p++) while (waiting[p]!.length <= free) waiting[p]!.push(newRequest(ids[p]!));
    const requests = waiting.flatMap((queue) => queue.slice(0, free + 1));
    allocate({ sites, projects, requests }).forEach((d, i) => {
      if (d.kind !== 'place') return;
      const p = ids.indexOf(requests[i]!.projectId);
      for (const pl of d.placements) running.push({ project: p, site: pl.siteId, vcpus: pl.instanceType.vcpus * pl.count, ends: now + LEASE_HOURS * 60 });
      waiting[p] = waiting[p]!.filter((r) => r.id !== d.requestId);
    });
    // the step runs: what it ran is charged, and older usage decays
    for (let p = 0; p < factors.length; p++) {
      const charged = running.filter((i) => i.project === p).reduce((n, i) => n + (i.vcpus * Math.min(STEP_MINUTES, i.ends - now)) / 60, 0);
      usage[p] = decayed(usage[p]!, STEP_MINUTES / 60, HALF_LIFE) + charged;
      got[p]! += charged;
    }
  }
  return got;
}

describe('fair share over a long run', () => {
  it('gives two projects with equal factors and equal demand equal core-hours', () => {
    const [a, b] = run([1, 1]);
    expect(a! + b!).toBeGreaterThan(0.95 * 64 * 30 * 24); // the sites were kept full
    expect(Math.abs(a! - b!) / ((a! + b!) / 2)).toBeLessThan(0.1);
  });

  it('gives a project with factor 2 half the share of one with factor 1', () => {
    const [one, two] = run([1, 2]);
    expect(one! / two!).toBeGreaterThan(2 * 0.9);
    expect(one! / two!).toBeLessThan(2 * 1.1);
  });

  it('splits between three projects as their factors say', () => {
    const got = run([1, 1, 2]);
    const total = got.reduce((n, x) => n + x, 0);
    const shares = got.map((x) => x / total);
    for (const [share, expected] of [
      [shares[0]!, 0.4],
      [shares[1]!, 0.4],
      [shares[2]!, 0.2],
    ]) {
      expect(Math.abs(share! - expected!) / expected!).toBeLessThan(0.1);
    }
  });
});
