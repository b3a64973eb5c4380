import type { HeldCapacity, InstanceTypeOffer, Limits, ProjectState, Reservation, ReservationPolicy, SiteState, WaitingRequest } from './allocator.types.js';
import { HEALTH_RANK, gangSize, howManyFit, minus, pooledCapacity, projectRoom, staticCheck } from './site-filter.js';

const MS_PER_MINUTE = 60_000;
const NOTHING_USED = { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 };

/** A site the gang may use, with how many of its instances the site has room for now and could ever hold. */
interface Option {
  site: SiteState;
  type: InstanceTypeOffer;
  home: boolean;
  now: number;
  ever: number;
}

/** A gang: a request none of whose instances start until `minCount` > 1 can start together (not a running one topped up). */
const isGang = (r: WaitingRequest) => r.held === 0 && r.minCount > 1;

/** The sites that held it last cycle first (so what they kept for it is not given away), then the closest to taking it: the most room now, then the healthiest, then by name. */
function holdOrder(gang: WaitingRequest): (a: Option, b: Option) => number {
  const before = new Set(gang.reserved?.siteIds ?? []);
  const heldBefore = (o: Option) => (before.has(o.site.id) ? 0 : 1);
  return (a, b) => heldBefore(a) - heldBefore(b) || b.now - a.now || HEALTH_RANK[a.site.health] - HEALTH_RANK[b.site.health] || a.site.name.localeCompare(b.site.name);
}

/**
 * The sites the gang may use, with their room for it. What a site keeps for its own institution
 * counts only where the site does not lend it: a gang waiting that long may borrow it.
 */
function optionsFor(gang: WaitingRequest, project: ProjectState, sites: SiteState[]): Option[] {
  const options: Option[] = [];
  for (const site of sites) {
    const { code, type } = staticCheck(gang, site);
    if (code !== null || gang.avoidSites.includes(site.id)) continue;
    // its project's quota and budget must allow the whole gang of this type
    if (projectRoom(gang, project, type!, gangSize(gang)).code !== null) continue;
    const home = site.institution === project.institution;
    const pooledOnly = !home && site.homeShare !== 0 && !site.lendsHomeShare;
    const limits: Limits = pooledOnly ? pooledCapacity(site) : site.capacity;
    const used = pooledOnly ? minus(site.used, site.usedByHome) : site.used;
    const ever = howManyFit(limits, NOTHING_USED, type!);
    if (ever > 0) options.push({ site, type: type!, home, now: howManyFit(limits, used, type!), ever });
  }
  return options.sort(holdOrder(gang));
}

/**
 * Where to hold capacity for the gang: at the first site (in holdOrder) that could take it whole
 * or, for a gang too big for any one site that may span sites, across the sites in that order, as
 * many as it needs. Null when the sites it may use could not hold it even empty.
 */
function holdsFor(gang: WaitingRequest, options: Option[]): HeldCapacity[] | null {
  const size = gangSize(gang);
  const whole = options.find((o) => o.ever >= size);
  if (whole) return [{ siteId: whole.site.id, instanceType: whole.type, count: size, home: whole.home }];
  if (!gang.spanSites) return null;
  const held: HeldCapacity[] = [];
  let left = size;
  for (const o of options) {
    if (left === 0) break;
    const count = Math.min(o.ever, left);
    held.push({ siteId: o.site.id, instanceType: o.type, count, home: o.home });
    left -= count;
  }
  return left === 0 ? held : null;
}

/**
 * The gang a cycle holds capacity for (see ReservationPolicy), or null. The one that holds it
 * already keeps it while it qualifies; otherwise the one that has waited longest. A gang whose
 * hold has lapsed never qualifies again.
 */
export function chooseReservation(requests: readonly WaitingRequest[], projects: ReadonlyMap<string, ProjectState>, sites: SiteState[], policy: ReservationPolicy, now: Date): Reservation | null {
  const waitedEnough = now.getTime() - policy.afterMinutes * MS_PER_MINUTE;
  const until = (since: Date) => new Date(since.getTime() + policy.holdMinutes * MS_PER_MINUTE);
  // the gangs that qualify by time, each with when capacity was first held for it (Infinity: never) and when it was submitted
  const gangs: WaitingRequest[] = [];
  const heldSince: number[] = [];
  const created: number[] = [];
  for (const r of requests) {
    if (!isGang(r)) continue;
    const submitted = r.createdAt.getTime();
    if (submitted > waitedEnough || (r.reserved && until(r.reserved.since) <= now)) continue;
    gangs.push(r);
    heldSince.push(r.reserved?.since.getTime() ?? Infinity);
    created.push(submitted);
  }
  const before = (a: number, b: number) => heldSince[a]! - heldSince[b]! || created[a]! - created[b]! || (gangs[a]!.id < gangs[b]!.id ? -1 : 1);
  // the first that qualifies, usually the first looked at: picked one at a time, not by sorting thousands
  const tried = new Set<number>();
  while (tried.size < gangs.length) {
    let first = -1;
    for (let i = 0; i < gangs.length; i++) if (!tried.has(i) && (first === -1 || before(i, first) < 0)) first = i;
    tried.add(first);
    const gang = gangs[first]!;
    const project = projects.get(gang.projectId);
    const held = project ? holdsFor(gang, optionsFor(gang, project, sites)) : null;
    if (!held) continue;
    const from = gang.reserved?.since ?? now;
    return { requestId: gang.id, since: from, until: until(from), held };
  }
  return null;
}

/** `sites` as they stand with capacity held for the reservation's gang (for explain and planRequest, as in the cycle). */
export function withReservation(sites: SiteState[], reservation: Reservation | null): SiteState[] {
  if (!reservation) return sites;
  const holding = new Set(reservation.held.map((h) => h.siteId));
  return sites.map((site) => (holding.has(site.id) ? { ...site, reservedFor: reservation } : site));
}
