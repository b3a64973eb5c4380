import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { allocate } from './allocator.js';
import type { InstanceTypeOffer, ProjectState, ReservationPolicy, SiteState, WaitingRequest } from './allocator.types.js';
import { projectState, siteState, waitingRequest } from '../../../test/helpers/allocator-states.js';

/**
 * A gang in a stream of small requests, cycle after cycle (a cycle a minute): small requests
 * arrive all the time, each instance ends with its lease, and the small requests' project has
 * the better fair-share score, so they are decided first and take whatever frees up. Greedy, the
 * cycle never lets a site empty enough for the gang; with capacity held for it, the gang starts
 * once what ran at the held site when the hold began has ended, while small requests keep
 * filling every slot that would not delay it.
 */

const SLOT: InstanceTypeOffer = { name: 'slot', vcpus: 1, memoryMiB: 1024, gpus: 0 };
const T0 = Date.UTC(2026, 11, 1);
const minute = (t: number) => new Date(T0 + t * 60_000);

interface World {
  /** Slots per site. */
  sites: number[];
  gangSize: number;
  spanSites: boolean;
  /** Small requests that arrive each cycle (1 instance each). */
  arrivals: number;
  /** Leases run 1 to this many cycles. */
  maxLease: number;
  reservation?: ReservationPolicy;
  cycles: number;
  seed: number;
}

interface Outcome {
  /** The cycle the gang started in; null: it did not within the cycles. */
  started: number | null;
  /** Small instances started while capacity was held for the gang. */
  backfilled: number;
}

function site(i: number, slots: number, used: number): SiteState {
  const inUse = { vcpus: used, memoryMiB: used * 1024, gpus: 0, instances: used };
  return siteState(`s${i}`, { id: `site-${i}`, institution: 'uni', capacity: { vcpus: slots, memoryMiB: slots * 1024, gpus: 0, instances: null }, used: inUse, usedByHome: inUse, instanceTypes: [SLOT], images: ['img'] });
}

const project = (id: string, usage: number): ProjectState => projectState(id, { institution: 'uni', limits: { vcpus: 1e6, memoryMiB: 1e9, gpus: 0, instances: null }, usage });
// the small requests' project has the better score: its requests are decided before the gang
const PROJECTS = [project('small', 0), project('big', 1_000_000)];

const waiting = (id: string, projectId: string, count: number, createdAt: Date, leaseCycles: number, spanSites = false): WaitingRequest =>
  waitingRequest(id, { projectId, image: 'img', count, minCount: count, leaseHours: leaseCycles / 60, spanSites, createdAt });

/** mulberry32 */
function generator(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Runs the cycles; checks on the way that nothing placed while capacity is held for the gang delays it, and that every other slot is filled. */
function simulate(world: World): Outcome {
  const random = generator(world.seed);
  // the sites start full, as if filled the cycle before the first
  let running = world.sites.flatMap((slots, siteIndex) => Array.from({ length: slots }, () => ({ siteIndex, endsAt: random(world.maxLease) })));
  let queue: WaitingRequest[] = [];
  const gang = waiting('gang', 'big', world.gangSize, minute(0), world.maxLease, world.spanSites);
  let next = 0;
  let backfilled = 0;
  for (let t = 0; t < world.cycles; t++) {
    running = running.filter((r) => r.endsAt > t);
    for (let i = 0; i < world.arrivals; i++) queue.push(waiting(`r${next++}`, 'small', 1, new Date(minute(t).getTime() + i), 1 + random(world.maxLease)));
    const used = world.sites.map(() => 0);
    for (const r of running) used[r.siteIndex]!++;
    const sites = world.sites.map((slots, i) => site(i, slots, used[i]!));
    const requests = [gang, ...queue];
    const decisions = allocate({ sites, projects: PROJECTS, requests, policy: { placement: 'spread', reservation: world.reservation }, now: minute(t) });
    const placedAt = world.sites.map(() => 0);
    for (const [i, d] of decisions.entries()) {
      if (d.kind !== 'place') continue;
      if (requests[i] === gang) return { started: t, backfilled };
      for (const p of d.placements) placedAt[Number(p.siteId.slice('site-'.length))]! += p.count;
    }
    const gangDecision = decisions[0]!;
    const reservation = gangDecision.kind === 'wait' ? gangDecision.reservation : undefined;
    if (reservation) {
      gang.reserved = { since: reservation.since, siteIds: reservation.held.map((h) => h.siteId) };
      for (const h of reservation.held) {
        const i = Number(h.siteId.slice('site-'.length));
        // what started there leaves the gang its part
        if (placedAt[i]! > 0) expect(world.sites[i]! - used[i]! - placedAt[i]!).toBeGreaterThanOrEqual(h.count);
        backfilled += placedAt[i]!;
      }
      backfilled += placedAt.reduce((n, k, i) => (reservation.held.some((h) => h.siteId === `site-${i}`) ? n : n + k), 0);
    }
    // small requests still waiting: no site that holds nothing has a free slot left
    const left = decisions.filter((d, i) => d.kind === 'wait' && requests[i] !== gang).length;
    for (const [i, slots] of world.sites.entries()) {
      const holds = reservation?.held.some((h) => h.siteId === `site-${i}`) ?? false;
      if (left > 0 && !holds) expect(slots - used[i]! - placedAt[i]!).toBe(0);
    }
    // decisions come in the requests' order: the gang, then the queue
    for (const [i, r] of queue.entries()) {
      const d = decisions[i + 1]!;
      if (d.kind === 'place') for (const p of d.placements) running.push({ siteIndex: Number(p.siteId.slice('site-'.length)), endsAt: t + Math.round(r.leaseHours * 60) });
    }
    queue = queue.filter((_, i) => decisions[i + 1]!.kind !== 'place');
  }
  return { started: null, backfilled };
}

const RESERVE = { afterMinutes: 30, holdMinutes: 24 * 60 };

describe('a 64-instance gang in a stream of 1-instance requests', () => {
  // two sites of 64 slots, kept full: 14 small requests a cycle (a little more than end) with leases of 1 to 20 cycles
  const world: World = { sites: [64, 64], gangSize: 64, spanSites: false, arrivals: 14, maxLease: 20, cycles: 200, seed: 7 };

  it('waits for ever when the cycle is greedy', () => {
    expect(simulate(world).started).toBeNull();
  });

  it('starts once what ran at the held site has ended, while small requests keep filling the rest', () => {
    const { started, backfilled } = simulate({ ...world, reservation: RESERVE });
    expect(started).not.toBeNull();
    expect(started!).toBeLessThanOrEqual(RESERVE.afterMinutes + world.maxLease - 1);
    // the other site, and whatever the gang does not need, went on taking small requests
    expect(backfilled).toBeGreaterThan(0);
  });

  it('starts a gang too big for any one site across sites the same way', () => {
    const big = { ...world, gangSize: 100, spanSites: true };
    expect(simulate(big).started).toBeNull();
    expect(simulate({ ...big, reservation: RESERVE }).started!).toBeLessThanOrEqual(RESERVE.afterMinutes + world.maxLease - 1);
  });
});

describe('capacity held for a gang, on random federations and streams', () => {
  it('starts the gang within afterMinutes + the longest lease, and backfills only what cannot delay it', () => {
    const worlds = fc
      .record({
        sites: fc.array(fc.integer({ min: 2, max: 24 }), { minLength: 1, maxLength: 3 }),
        gangShare: fc.double({ min: 0.2, max: 1, noNaN: true }),
        spanSites: fc.boolean(),
        arrivalShare: fc.double({ min: 0.2, max: 1, noNaN: true }),
        maxLease: fc.integer({ min: 1, max: 12 }),
        afterMinutes: fc.integer({ min: 0, max: 10 }),
        seed: fc.integer(),
      })
      .map(({ sites, gangShare, spanSites, arrivalShare, maxLease, afterMinutes, seed }): World => {
        // a gang that could start at one site (or, spanning, on all of them) were they empty
        const most = spanSites ? sites.reduce((a, b) => a + b, 0) : Math.max(...sites);
        return {
          sites,
          gangSize: Math.max(2, Math.round(most * gangShare)),
          spanSites,
          arrivals: Math.max(1, Math.round(sites.reduce((a, b) => a + b, 0) * arrivalShare)),
          maxLease,
          reservation: { afterMinutes, holdMinutes: 24 * 60 },
          cycles: afterMinutes + maxLease + 5,
          seed,
        };
      })
      .filter((w) => w.gangSize <= (w.spanSites ? w.sites.reduce((a, b) => a + b, 0) : Math.max(...w.sites)));
    fc.assert(
      fc.property(worlds, (world) => {
        const { started } = simulate(world);
        expect(started).not.toBeNull();
        expect(started!).toBeLessThanOrEqual(world.reservation!.afterMinutes + world.maxLease - 1);
      }),
      { numRuns: 300, seed: 3 },
    );
  });
});
