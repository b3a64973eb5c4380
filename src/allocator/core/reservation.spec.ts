import { describe, expect, it } from '@jest/globals';
import { allocate, evaluate } from './allocator.js';
import type { AllocatorInput, Decision, InstanceTypeOffer, ProjectState, Resources, SiteState, WaitingRequest } from './allocator.types.js';
import { projectState, siteState, waitingRequest } from '../../../test/helpers/allocator-states.js';
import { chooseReservation, withReservation } from './reservation.js';

const small: InstanceTypeOffer = { name: 'm1.small', vcpus: 1, memoryMiB: 1024, gpus: 0 };
const resources = (vcpus = 0, instances = vcpus): Resources => ({ vcpus, memoryMiB: vcpus * 1024, gpus: 0, instances });
const NOW = new Date('2026-12-01T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const POLICY = { placement: 'spread' as const, reservation: { afterMinutes: 30, holdMinutes: 120 } };

/** A site of `vcpus` m1.small slots, `used` of them taken. */
const site = (name: string, vcpus: number, used = 0, over: Partial<SiteState> = {}): SiteState =>
  siteState(name, { capacity: { vcpus, memoryMiB: vcpus * 1024, gpus: 0, instances: null }, used: resources(used), instanceTypes: [small], images: ['ubuntu-22.04'], ...over });

const project = (id: string, over: Partial<ProjectState> = {}): ProjectState => projectState(id, { limits: { vcpus: 1000, memoryMiB: 1 << 24, gpus: 0, instances: null }, ...over });

const request = (id: string, over: Partial<WaitingRequest> = {}): WaitingRequest => waitingRequest(id, { projectId: 'small', createdAt: minutesAgo(1), ...over });

/** A gang of `size` that waited `minutes`, of project `big`. */
const gang = (id: string, size: number, minutes: number, over: Partial<WaitingRequest> = {}) => request(id, { projectId: 'big', count: size, minCount: size, createdAt: minutesAgo(minutes), ...over });

const PROJECTS = [project('small'), project('big')];

function cycle(sites: SiteState[], requests: WaitingRequest[], over: Partial<AllocatorInput> = {}): Decision[] {
  return allocate({ sites, projects: PROJECTS, requests, policy: POLICY, now: NOW, ...over });
}

const placedAt = (d: Decision) => (d.kind === 'place' ? d.placements.map((p) => `${p.siteId}:${p.count}`) : d.reasonCode);

describe('capacity held for the gang that has waited longest', () => {
  it('keeps what frees up at the site closest to taking the gang, and backfills elsewhere', () => {
    // a has 6 of 8 free, b 2 of 8: the gang of 8 is held at a; small requests still go to b
    const sites = [site('a', 8, 2), site('b', 8, 6)];
    const [g, r1, r2, r3] = cycle(sites, [gang('g', 8, 45), request('r1'), request('r2'), request('r3')]);
    expect(g).toMatchObject({ kind: 'wait', reasonCode: 'SITE_CAPACITY', reservation: { requestId: 'g', since: NOW, held: [{ siteId: 'site-a', count: 8 }] } });
    expect(g!.kind === 'wait' && g.reason).toBe(
      'site a is full: 2/8 vCPUs in use, 8 more needed; site b is full: 6/8 vCPUs in use, 8 more needed; capacity is held for it (8 x m1.small at a) since 2026-12-01T12:00:00.000Z, until 2026-12-01T14:00:00.000Z at the latest',
    );
    expect([r1, r2].map(placedAt)).toEqual([['site-b:1'], ['site-b:1']]);
    expect(r3).toMatchObject({ kind: 'wait', reasonCode: 'RESERVED', reason: 'capacity is held for a gang that has waited longest: site a holds 8 x m1.small for gang g, which has waited longest' });
  });

  it('starts the gang once the held site has room, before anything else takes it', () => {
    // r1 goes first (older), but would take what the gang needs
    const [r1, g] = cycle([site('a', 8)], [request('r1', { createdAt: minutesAgo(100) }), gang('g', 8, 45)]);
    expect(placedAt(g!)).toEqual(['site-a:8']);
    expect(r1).toMatchObject({ kind: 'wait', reasonCode: 'RESERVED' });
  });

  it('lets the rest of the cycle use the held site once the gang started elsewhere', () => {
    // held at a (most room), but it starts at b, which ranks first for it (preferred); then a is free again
    const sites = [site('a', 8, 0), site('b', 8, 0)];
    const [g, r1] = cycle(sites, [gang('g', 4, 45, { preferredSites: ['b'] }), request('r1', { preferredSites: ['a'] })], { projects: [project('small', { usage: 1000 }), project('big')] });
    expect(placedAt(g!)).toEqual(['site-b:4']);
    expect(placedAt(r1!)).toEqual(['site-a:1']);
  });

  it('uses what the gang does not need at the held site', () => {
    // the small requests go first (their project has the better share); the gang needs 4 of the 6 free slots at a
    const [g, r1, r2, r3] = cycle([site('a', 8, 2)], [gang('g', 4, 45), request('r1'), request('r2'), request('r3')], {
      projects: [project('small'), project('big', { usage: 1000 })],
    });
    expect([r1, r2, r3].map(placedAt)).toEqual([['site-a:1'], ['site-a:1'], 'RESERVED']);
    expect(placedAt(g!)).toEqual(['site-a:4']);
  });

  it('holds nothing for a gang that has not waited long enough, or that no site could ever take', () => {
    const sites = [site('a', 8, 6)];
    expect(chooseReservation([gang('young', 4, 10)], new Map(PROJECTS.map((p) => [p.id, p])), sites, POLICY.reservation, NOW)).toBeNull();
    expect(chooseReservation([gang('huge', 9, 45)], new Map(PROJECTS.map((p) => [p.id, p])), sites, POLICY.reservation, NOW)).toBeNull();
    expect(cycle(sites, [gang('young', 4, 10), request('r1')]).map(placedAt)).toEqual(['SITE_CAPACITY', ['site-a:1']]);
  });

  it('holds nothing for a gang its own project could not start', () => {
    const projects = new Map([['big', project('big', { limits: { vcpus: 4, memoryMiB: 1 << 24, gpus: 0, instances: null } })]]);
    expect(chooseReservation([gang('g', 8, 45)], projects, [site('a', 8, 6)], POLICY.reservation, NOW)).toBeNull();
  });

  it('holds for one gang at a time: the oldest, unless another already holds capacity', () => {
    const sites = [site('a', 8, 6), site('b', 8, 6)];
    const projects = new Map(PROJECTS.map((p) => [p.id, p]));
    expect(chooseReservation([gang('g1', 4, 40), gang('g2', 4, 50)], projects, sites, POLICY.reservation, NOW)?.requestId).toBe('g2');
    const holding = gang('g1', 4, 40, { reserved: { since: minutesAgo(5), siteIds: ['site-b'] } });
    // and where it held capacity before, though a has as much room
    expect(chooseReservation([holding, gang('g2', 4, 50)], projects, sites, POLICY.reservation, NOW)).toMatchObject({ requestId: 'g1', since: minutesAgo(5), held: [{ siteId: 'site-b' }] });
  });

  it('lets a hold lapse after holdMinutes; the gang then waits like any other, and the next gang may have capacity held', () => {
    const sites = [site('a', 8, 6)];
    const lapsed = gang('g1', 4, 500, { reserved: { since: minutesAgo(120), siteIds: ['site-a'] } });
    const [g1, g2, r1] = cycle(sites, [lapsed, gang('g2', 4, 40), request('r1')]);
    expect(g1).toEqual({ requestId: 'g1', kind: 'wait', reasonCode: 'SITE_CAPACITY', reason: 'site a is full: 6/8 vCPUs in use, 4 more needed' });
    expect(g2).toMatchObject({ reservation: { requestId: 'g2' } });
    expect(r1).toMatchObject({ reasonCode: 'RESERVED' });
  });

  it('holds a gang too big for any one site that may span sites across the sites closest to taking it', () => {
    const sites = [site('a', 8, 4), site('b', 8, 6), site('c', 8, 7)];
    const reservation = chooseReservation([gang('g', 12, 45, { spanSites: true })], new Map(PROJECTS.map((p) => [p.id, p])), sites, POLICY.reservation, NOW);
    expect(reservation?.held.map((h) => `${h.siteId}:${h.count}`)).toEqual(['site-a:8', 'site-b:4']);
  });

  it('holds nothing without the policy or the time', () => {
    const requests = [gang('g', 8, 45), request('r1')];
    expect(allocate({ sites: [site('a', 8, 2)], projects: PROJECTS, requests, policy: { placement: 'spread' }, now: NOW }).map(placedAt)).toEqual(['SITE_CAPACITY', ['site-a:1']]);
    expect(allocate({ sites: [site('a', 8, 2)], projects: PROJECTS, requests, policy: POLICY }).map(placedAt)).toEqual(['SITE_CAPACITY', ['site-a:1']]);
  });
});

describe('explain, with capacity held for a gang', () => {
  const sites = [site('a', 8, 2), site('b', 8, 8)];
  const g = gang('g', 8, 45);
  const reservation = chooseReservation([g], new Map(PROJECTS.map((p) => [p.id, p])), sites, POLICY.reservation, NOW)!;
  const held = withReservation(sites, reservation);

  it('tells another request that the site holds its room for the gang', () => {
    const { decision, verdicts } = evaluate(request('r1'), PROJECTS[0], held);
    expect(decision).toMatchObject({ kind: 'wait', reasonCode: 'RESERVED', reason: 'capacity is held for a gang that has waited longest: site a holds 8 x m1.small for gang g, which has waited longest' });
    expect(verdicts.map((v) => [v.site, v.code])).toEqual([
      ['a', 'RESERVED'],
      ['b', 'SITE_CAPACITY'],
    ]);
  });

  it('tells the gang that capacity is held for it', () => {
    const { decision, verdicts } = evaluate(g, PROJECTS[1], held);
    expect(decision).toEqual(allocate({ sites, projects: PROJECTS, requests: [g], policy: POLICY, now: NOW })[0]);
    expect(decision.kind === 'wait' && decision.reason).toMatch(/; capacity is held for it \(8 x m1.small at a\) since 2026-12-01T12:00:00.000Z, until 2026-12-01T14:00:00.000Z at the latest$/);
    expect(verdicts[0]).toMatchObject({ site: 'a', code: 'SITE_CAPACITY', reason: 'is full: 2/8 vCPUs in use, 8 more needed; holds what frees up for this request (8 x m1.small)' });
  });
});
