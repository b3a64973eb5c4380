import type {
  AllocatorInput,
  AllocatorPolicy,
  Decision,
  InstanceTypeOffer,
  Limits,
  Placement,
  ProjectState,
  Reservation,
  Resources,
  SiteState,
  SiteVerdict,
  SiteVerdictCode,
  WaitReasonCode,
  WaitingRequest,
} from './allocator.types.js';
import { SITE_VERDICTS } from './allocator.types.js';
import { FairShareQueue } from './fair-share-queue.js';
import { chooseReservation } from './reservation.js';
import {
  checkRoom,
  formatRequirement,
  gangSize,
  HEALTH_RANK,
  heldAt,
  holdFor,
  partSize,
  pooledCapacity,
  projectReason,
  projectRoom,
  roomAt,
  roomVerdict,
  siteRoom,
  siteVerdict,
  staticCheck,
  typesBySize,
  type RoomAt,
  type RoomCheck,
} from './site-filter.js';

const DEFAULT_POLICY: AllocatorPolicy = { placement: 'spread' };
const DEPTH = Object.fromEntries(SITE_VERDICTS.map((code, i) => [code, i])) as Record<SiteVerdictCode, number>;
const depth = (code: SiteVerdictCode) => DEPTH[code];
/** How many sites a reason names. */
const EXAMPLES = 3;

type WaitWords = { reasonCode: WaitReasonCode; reason: string };

/** A site as a cycle sees it: its state, which grows as the cycle places there, and what the cycle does not change. */
interface SiteSlot {
  site: SiteState;
  /** The site's place in name order, which reasons list sites in. */
  order: number;
  /** Its instance types smallest first (typesBySize). */
  typesBySize: InstanceTypeOffer[];
  pooled: Limits;
  /** Counts the changes to what is free there (placements, a hold released): what a candidate knows of the site's room is stale once this moves on. */
  changes: number;
}

/** A site that passes a request's static filters, with the instance type it would run there; shared by all requests that get that type there. */
interface Candidate {
  slot: SiteSlot;
  type: InstanceTypeOffer;
  /** The site's room for the type (with what it holds for a gang), as of `slot.changes` = `roomAsOf`: a cycle asks for it far more often than it places. */
  room: RoomAt;
  roomAsOf: number;
}

/** A site that fits, with what ranks it (see rankOrder). */
interface Fit {
  slot: SiteSlot;
  type: InstanceTypeOffer;
  /** How many instances would start there, and how many of them on its borrowed home share. */
  fits: number;
  borrowed: number;
  /** Its place among the request's preferred sites, Infinity if not among them. */
  preference: number;
  health: number;
  /** The share of its vCPUs in use. */
  load: number;
}

/** A site that fits, ranked for `request`; written into `spare` when given. */
function fitOf(request: WaitingRequest, slot: SiteSlot, type: InstanceTypeOffer, room: Readonly<RoomCheck>, spare?: Fit): Fit {
  const { site } = slot;
  const preferred = request.preferredSites.length === 0 ? -1 : request.preferredSites.indexOf(site.name);
  const fit: Fit = spare ?? { slot, type, fits: 0, borrowed: 0, preference: Infinity, health: 0, load: 0 };
  fit.slot = slot;
  fit.type = type;
  fit.fits = room.fits;
  fit.borrowed = room.borrowed;
  fit.preference = preferred === -1 ? Infinity : preferred;
  fit.health = HEALTH_RANK[site.health];
  fit.load = site.used.vcpus / Math.max(1, site.capacity.vcpus);
  return fit;
}

/** Candidates whose instance types are of one size: a project's quota and budget treat them alike. */
interface TypeGroup {
  type: InstanceTypeOffer;
  /** In name order. */
  candidates: Candidate[];
  /** No site of the group had room for this many instances; as sites only fill up during a cycle, none will. */
  fullFor: number;
}

/** Whether `site` lends its unused home share to `project`'s institution (in a cycle's second pass). */
const lendsTo = (site: SiteState, project: ProjectState) => site.lendsHomeShare && site.homeShare > 0 && site.institution !== project.institution;

/** -1, 0 or 1 as `a` is less than, equal to or more than `b`: a whole number, which ranking many sites can return without allocating. */
const compare = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);

/** Rank order of sites that fit: own capacity before borrowed, smallest type, preferred, healthy, then spread or pack. */
function rankOrderOf(placement: AllocatorPolicy['placement']): (a: Fit, b: Fit) => number {
  const sign = placement === 'pack' ? -1 : 1;
  return (a, b) =>
    compare(Number(a.borrowed > 0), Number(b.borrowed > 0)) ||
    compare(a.type.gpus, b.type.gpus) ||
    compare(a.type.vcpus, b.type.vcpus) ||
    compare(a.type.memoryMiB, b.type.memoryMiB) ||
    compare(a.preference, b.preference) ||
    compare(a.health, b.health) ||
    sign * compare(a.load, b.load) ||
    compare(a.slot.order, b.slot.order);
}
const SPREAD = rankOrderOf('spread');
const PACK = rankOrderOf('pack');
const rankOrder = (policy: AllocatorPolicy) => (policy.placement === 'pack' ? PACK : SPREAD);

/** Sites that stop a request at the same stage: a site that is DOWN and one that is draining do. */
const stage = (code: SiteVerdictCode) => depth(code === 'SITE_DRAINING' ? 'SITE_DOWN' : code);

/**
 * Why a request waits, in words: the filter that stopped the sites that came closest binds.
 * `binding` holds those sites' verdicts (at least the first few of `total`).
 */
function describeWait(request: WaitingRequest, binding: SiteVerdict[], total: number): WaitWords {
  const allowed = request.sites ? 'allowed ' : '';
  const code = binding[0]!.code as WaitReasonCode;
  if (code === 'QUOTA' || code === 'BUDGET') return { reasonCode: code, reason: binding[0]!.reason };
  const sites = binding
    .slice(0, EXAMPLES)
    .map((v) => `site ${v.site} ${v.reason}`)
    .join('; ');
  const listed = total > EXAMPLES ? `${sites}; and ${total - EXAMPLES} more` : sites;
  switch (code) {
    case 'NO_IMAGE':
      return { reasonCode: code, reason: `no ${allowed}site has image '${request.image}'` };
    case 'NO_INSTANCE_TYPE':
      return {
        reasonCode: code,
        reason: `no ${allowed}site with image '${request.image}' has an instance type with ${request.vcpus} vCPUs, ${request.memoryMiB} MiB${request.gpus ? `, ${request.gpus} GPUs` : ''}`,
      };
    case 'MISSING_LABEL':
      return { reasonCode: code, reason: `no fitting ${allowed}site has ${request.requirements.map(formatRequirement).join(', ')} (${listed})` };
    case 'RESERVED':
      return { reasonCode: code, reason: `capacity is held for a gang that has waited longest: ${listed}` };
    case 'SITE_DOWN':
    case 'SITE_DRAINING':
      return { reasonCode: binding.some((v) => v.code === 'SITE_DOWN') ? 'SITE_DOWN' : 'SITE_DRAINING', reason: listed };
    default:
      return { reasonCode: code, reason: listed };
  }
}

/** Why a request waits, from every site's verdict. */
export function waitReason(request: WaitingRequest, verdicts: SiteVerdict[]): WaitWords {
  const considered = verdicts.filter((v) => v.code !== 'NOT_ALLOWED' && v.code !== 'FITS');
  if (considered.length === 0) return { reasonCode: 'NO_SITE', reason: `none of the allowed sites (${request.sites?.join(', ')}) is registered` };
  const deepest = Math.max(...considered.map((v) => stage(v.code)));
  const binding = considered.filter((v) => stage(v.code) === deepest);
  return describeWait(request, binding, binding.length);
}

/** What the allocator would decide for one request now, with every site's verdict (for explain and planRequest). */
export interface Evaluation {
  decision: Decision;
  /** Sites that fit first, in rank order; then the others, those that came closest first. */
  verdicts: SiteVerdict[];
}

export function evaluate(request: WaitingRequest, project: ProjectState | undefined, sites: SiteState[], policy: AllocatorPolicy = DEFAULT_POLICY): Evaluation {
  if (!project) {
    const reason = 'the project has no allocation in force';
    return { decision: { requestId: request.id, kind: 'wait', reasonCode: 'QUOTA', reason }, verdicts: [] };
  }
  // as in a cycle: a request borrows a home share only where it would wait without
  const cycleSites = new CycleSites(sites);
  let mayBorrow = false;
  let outcome = decide(request, project, cycleSites, mayBorrow, policy);
  if (outcome.borrowable) {
    mayBorrow = true;
    outcome = decide(request, project, cycleSites, mayBorrow, policy);
  }
  const verdicts = sites.map((site) => siteVerdict(request, project, site, { mayBorrow, need: partSize(request) }));
  const fits: Fit[] = verdicts
    .filter((v) => v.code === 'FITS')
    .map((v) => fitOf(request, cycleSites.slot(v.siteId), v.instanceType!, { code: 'FITS', fits: v.fits, borrowed: v.borrowed }));
  fits.sort(rankOrder(policy));
  const rank = new Map(fits.map((f, i) => [f.slot.site.id, i]));
  verdicts.sort((a, b) => (rank.get(a.siteId) ?? Infinity) - (rank.get(b.siteId) ?? Infinity) || depth(b.code) - depth(a.code) || a.site.localeCompare(b.site));
  return { decision: outcome.decision, verdicts };
}

/**
 * The sites that came closest to taking a request: the deepest check any of them reached, how
 * many reached it, and the first few of those by name, which the reason names.
 */
class Closest {
  depth = -1;
  count = 0;
  readonly examples: Candidate[] = [];

  /** One site stopped at `code`. */
  note(code: RoomCheck['code'], candidate: Candidate): void {
    if (!this.reach(code)) return;
    this.count++;
    this.offer(candidate);
  }

  /** All these sites (in name order) stopped at `code`. */
  noteAll(code: RoomCheck['code'], candidates: Candidate[]): void {
    if (!this.reach(code)) return;
    this.count += candidates.length;
    for (const c of candidates) if (!this.offer(c)) break;
  }

  private reach(code: RoomCheck['code']): boolean {
    const d = depth(code);
    if (d > this.depth) {
      this.depth = d;
      this.count = 0;
      this.examples.length = 0;
    }
    return d === this.depth;
  }

  /** Keeps `candidate` if it is among the first few by name; false if it comes too late to be. */
  private offer(candidate: Candidate): boolean {
    let at = 0;
    while (at < this.examples.length && this.examples[at]!.slot.order <= candidate.slot.order) at++;
    if (at === this.examples.length) {
      if (this.examples.length === EXAMPLES) return false;
      this.examples.push(candidate);
    } else {
      this.examples.splice(at, 0, candidate);
      if (this.examples.length > EXAMPLES) this.examples.pop();
    }
    return true;
  }
}

type Choice =
  | { kind: 'place'; placements: Placement[] }
  | {
      kind: 'none';
      closest: Closest;
      /** Whether a site that lends its home share to the project got as far as the home share. */
      borrowable: boolean;
      /** The words, when fitting sites together fell short of the gang. */
      short?: WaitWords;
    };

/**
 * Picks where a request goes among the candidates that pass the static filters: the best-ranked
 * site that takes the gang (a spanning request: all it wants) or, for a request that may span
 * sites, as many sites in rank order as it takes.
 */
function choose(request: WaitingRequest, project: ProjectState, groups: TypeGroup[], mayBorrow: boolean, policy: AllocatorPolicy): Choice {
  const need = partSize(request);
  const cooling = request.avoidSites.length > 0;
  const closest = new Closest();
  const order = rankOrder(policy);
  // the best-ranked site that takes it whole, and the sites that fit but would not take it whole
  const whole = request.spanSites ? request.count - request.held : gangSize(request);
  let best: Fit | undefined;
  const partial: Fit[] = [];
  // most sites that fit do not rank first: the one that lost to the best is ranked again for the next
  let spare: Fit | undefined;
  // what a site that fits takes, written anew for each
  const fits: RoomCheck = { code: 'FITS', fits: 0, borrowed: 0 };
  let borrowable = false;
  for (const group of groups) {
    // the same checks as checkRoom, with the project's part done once for all sites of a type size
    const held = projectRoom(request, project, group.type, need);
    if (!cooling && (held.code !== null || need >= group.fullFor)) {
      closest.noteAll(held.code ?? 'SITE_CAPACITY', group.candidates);
      continue;
    }
    let full = !cooling && held.code === null;
    for (const c of group.candidates) {
      const site = c.slot.site;
      if (cooling && request.avoidSites.includes(site.id)) closest.note('COOL_DOWN', c);
      else if (held.code !== null) closest.note(held.code, c);
      else {
        const hold = site.reservedFor ? holdFor(site, request) : null;
        // the gang capacity is held for sees what is held for it as free: not what the candidate keeps count of
        const roomThere = site.reservedFor && !hold ? roomAt(site, c.type, null, c.slot.pooled) : roomNow(c);
        const room = siteRoom(project, site, c.type, need, held.atMost, mayBorrow, hold, roomThere, fits);
        if (room.code !== 'FITS') closest.note(room.code, c);
        else if (room.fits < whole) partial.push(fitOf(request, c.slot, c.type, room));
        else {
          const fit = fitOf(request, c.slot, c.type, room, spare);
          if (!best || order(fit, best) < 0) {
            spare = best;
            best = fit;
          } else spare = fit;
        }
        if ((room.code === 'FITS' || room.code === 'HOME_SHARE' || room.code === 'RESERVED') && lendsTo(site, project)) borrowable = true;
        full &&= room.code === 'SITE_CAPACITY';
      }
    }
    if (full) group.fullFor = need;
  }
  if (best) return { kind: 'place', placements: [{ siteId: best.slot.site.id, instanceType: best.type, count: best.fits, borrowed: best.borrowed }] };
  if (partial.length === 0) return { kind: 'none', closest, borrowable };
  if (!request.spanSites) {
    // only a request whose gang is more than it wants gets here
    return { kind: 'none', closest, borrowable, short: shortOfGang(request, project, partial, Math.max(...partial.map((f) => f.fits)), mayBorrow) };
  }
  return spread(request, project, partial.sort(order), mayBorrow, closest, borrowable);
}

/** A spanning request: take sites in rank order until the request is whole; at least the gang, or nothing. */
function spread(request: WaitingRequest, project: ProjectState, ranked: Fit[], mayBorrow: boolean, closest: Closest, borrowable: boolean): Choice {
  const want = request.count - request.held;
  const placements: Placement[] = [];
  // the project's quota and budget are shared by the parts: check each part against what the earlier ones took
  const tentative: ProjectState = { ...project, used: { ...project.used } };
  let total = 0;
  for (const f of ranked) {
    if (total >= want) break;
    const room = checkRoom({ ...request, held: request.held + total }, tentative, f.slot.site, f.type, { mayBorrow, need: 1, pooled: f.slot.pooled });
    if (room.code !== 'FITS') continue;
    placements.push({ siteId: f.slot.site.id, instanceType: f.type, count: room.fits, borrowed: room.borrowed });
    holdProject(tentative, f.type, room.fits, request.leaseHours);
    total += room.fits;
  }
  if (total >= gangSize(request)) return { kind: 'place', placements };
  return { kind: 'none', closest, borrowable, short: shortOfGang(request, project, ranked, total, mayBorrow) };
}

/** Why the sites that fit could not start the gang together: the project's quota or budget, or their room. */
function shortOfGang(request: WaitingRequest, project: ProjectState, fitting: Fit[], room: number, mayBorrow: boolean): WaitWords {
  const gang = gangSize(request);
  // the project binds when it could not hold the gang whichever of these sites' instance types it ran
  if (fitting.every((f) => projectRoom(request, project, f.type, gang).code !== null)) {
    const { code, reason } = siteVerdict(request, project, fitting[0]!.slot.site, { mayBorrow, need: gang });
    return { reasonCode: code as WaitReasonCode, reason };
  }
  return { reasonCode: 'SITE_CAPACITY', reason: `the sites that fit have room for ${room} of the ${gang} instances that must start together` };
}

function holdProject(project: ProjectState, type: InstanceTypeOffer, count: number, leaseHours: number): void {
  add(project.used, type, count);
  project.promisedCoreHours += type.vcpus * count * leaseHours;
  project.promisedGpuHours += type.gpus * count * leaseHours;
}

function add(used: Resources, type: InstanceTypeOffer, count: number): void {
  used.vcpus += type.vcpus * count;
  used.memoryMiB += type.memoryMiB * count;
  used.gpus += type.gpus * count;
  used.instances += count;
}

/** The site's room for the candidate's type now. */
function roomNow(c: Candidate): RoomAt {
  if (c.roomAsOf !== c.slot.changes) {
    roomAt(c.slot.site, c.type, heldAt(c.slot.site), c.slot.pooled, c.room);
    c.roomAsOf = c.slot.changes;
  }
  return c.room;
}

/** The instance type each site (in name order) would run for requests of some sizes, as an index into its typesBySize (-1: none), and their candidates by shape. */
interface TypeChoice {
  types: number[];
  byImage: Map<string, TypeGroup[]>;
  byShape: Map<string, TypeGroup[]>;
}

/**
 * The sites as a cycle sees them, and the filters that depend only on a request's shape, worked
 * out once per shape in a cycle. Requests that differ only in sizes the same instance types serve
 * share their candidates, as they share what the cycle learns of them (TypeGroup.fullFor).
 */
class CycleSites {
  /** In name order. */
  private readonly slots: SiteSlot[];
  private readonly byName: Map<string, SiteSlot>;
  private readonly byId: Map<string, SiteSlot>;
  /** Per site (in name order), the candidate it makes with each of its types (typesBySize), made when first needed. */
  private readonly candidates: Candidate[][];
  /** Per request size: vCPUs, then memory, then GPUs. */
  private readonly choicesBySize = new Map<number, Map<number, Map<number, TypeChoice>>>();
  /** Sizes that get the same instance types everywhere share one choice, keyed by those types. */
  private readonly choicesByTypes = new Map<string, TypeChoice>();
  private readonly staticWaits = new Map<string, WaitWords>();
  /** The gang the sites hold capacity for, if any. */
  reservation: Reservation | null;

  /** `sites`: the cycle's own copies, which `place` and `hold` change. */
  constructor(sites: SiteState[]) {
    this.slots = [...sites]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((site, order) => ({ site, order, typesBySize: typesBySize(site.instanceTypes), pooled: pooledCapacity(site), changes: 0 }));
    this.byName = new Map(this.slots.map((slot) => [slot.site.name, slot]));
    this.byId = new Map(this.slots.map((slot) => [slot.site.id, slot]));
    this.candidates = this.slots.map(() => []);
    this.reservation = sites.find((site) => site.reservedFor)?.reservedFor ?? null;
  }

  /** Holds capacity for the reservation's gang at its sites. */
  hold(reservation: Reservation): void {
    this.reservation = reservation;
    for (const held of reservation.held) {
      const slot = this.slot(held.siteId);
      slot.site.reservedFor = reservation;
      slot.changes++;
    }
  }

  /** The gang has started: its sites hold nothing for it any more. */
  release(): void {
    for (const held of this.reservation?.held ?? []) {
      const slot = this.slot(held.siteId);
      slot.site.reservedFor = null;
      slot.changes++;
    }
    this.reservation = null;
  }

  /** Where and since when capacity is held for the gang, in words. */
  heldWords(reservation: Reservation): string {
    const where = reservation.held.map((h) => `${h.count} x ${h.instanceType.name} at ${this.slot(h.siteId).site.name}`).join(', ');
    return `capacity is held for it (${where}) since ${reservation.since.toISOString()}, until ${reservation.until.toISOString()} at the latest`;
  }

  slot(siteId: string): SiteSlot {
    return this.byId.get(siteId)!;
  }

  /** Holds what a placement takes at its site. */
  place(placement: Placement, home: boolean): void {
    const slot = this.slot(placement.siteId);
    add(slot.site.used, placement.instanceType, placement.count);
    if (home) add(slot.site.usedByHome, placement.instanceType, placement.count);
    slot.changes++;
  }

  /** The instance types the sites would run for the request's size (looked up by numbers: this runs for every request). */
  private typeChoice(request: WaitingRequest): TypeChoice {
    const { vcpus, memoryMiB, gpus } = request;
    let byMemory = this.choicesBySize.get(vcpus);
    if (!byMemory) this.choicesBySize.set(vcpus, (byMemory = new Map()));
    let byGpus = byMemory.get(memoryMiB);
    if (!byGpus) byMemory.set(memoryMiB, (byGpus = new Map()));
    let choice = byGpus.get(gpus);
    if (!choice) {
      // smallest first: the first type that gives what the request asks is the one it gets
      const types = this.slots.map((slot) => slot.typesBySize.findIndex((t) => t.vcpus >= vcpus && t.memoryMiB >= memoryMiB && t.gpus >= gpus));
      const key = types.join(',');
      choice = this.choicesByTypes.get(key);
      if (!choice) this.choicesByTypes.set(key, (choice = { types, byImage: new Map(), byShape: new Map() }));
      byGpus.set(gpus, choice);
    }
    return choice;
  }

  private candidate(slot: SiteSlot, typeIndex: number): Candidate {
    return (this.candidates[slot.order]![typeIndex] ??= { slot, type: slot.typesBySize[typeIndex]!, room: { total: 0, pooled: 0 }, roomAsOf: -1 });
  }

  /** The sites a request allows, in name order, each once; all of them if it names none. */
  private allowed(request: WaitingRequest): SiteSlot[] {
    if (!request.sites) return this.slots;
    return [...new Set(request.sites.flatMap((name) => this.byName.get(name) ?? []))].sort((a, b) => a.order - b.order);
  }

  /** The sites that pass the static filters for the request, grouped by the size of the type they would run. */
  groups(request: WaitingRequest): TypeGroup[] {
    const choice = this.typeChoice(request);
    // most requests allow any site and require no label: their image alone tells them apart
    const plain = request.sites === null && request.requirements.length === 0;
    const key = plain ? request.image : `${request.image}|${request.sites?.join(',') ?? '*'}|${request.requirements.map(formatRequirement).join(',')}`;
    const cache = plain ? choice.byImage : choice.byShape;
    let groups = cache.get(key);
    if (!groups) {
      groups = [];
      for (const slot of this.allowed(request)) {
        const typeIndex = choice.types[slot.order]!;
        const type = slot.typesBySize[typeIndex] ?? null;
        if (staticCheck(request, slot.site, type).code !== null) continue;
        let group = groups.find((g) => g.type.gpus === type!.gpus && g.type.vcpus === type!.vcpus && g.type.memoryMiB === type!.memoryMiB);
        if (!group) groups.push((group = { type: type!, candidates: [], fullFor: Infinity }));
        group.candidates.push(this.candidate(slot, typeIndex));
      }
      cache.set(key, groups);
    }
    return groups;
  }

  /** Why a request waits when no site passes the static filters (the same for every request of the shape). */
  staticWait(request: WaitingRequest, project: ProjectState): WaitWords {
    const shape = `${request.image}|${request.vcpus}|${request.memoryMiB}|${request.gpus}|${request.sites?.join(',') ?? '*'}|${request.requirements.map(formatRequirement).join(',')}`;
    let wait = this.staticWaits.get(shape);
    if (!wait) {
      // the sites a request does not allow do not count in the reason
      const verdicts = this.allowed(request).map((slot) => siteVerdict(request, project, slot.site, { mayBorrow: false }));
      this.staticWaits.set(shape, (wait = waitReason(request, verdicts)));
    }
    return wait;
  }
}

/** One request's decision, and whether it may do better once home shares are lent. */
function decide(request: WaitingRequest, project: ProjectState, sites: CycleSites, mayBorrow: boolean, policy: AllocatorPolicy): { decision: Decision; borrowable: boolean } {
  const choice = choose(request, project, sites.groups(request), mayBorrow, policy);
  if (choice.kind === 'place') return { decision: { requestId: request.id, kind: 'place', placements: choice.placements }, borrowable: false };
  const words = waitWords(request, project, choice, sites, mayBorrow);
  const borrowable = !mayBorrow && choice.borrowable;
  const reservation = sites.reservation;
  if (reservation?.requestId !== request.id) return { decision: { requestId: request.id, kind: 'wait', ...words }, borrowable };
  return { decision: { requestId: request.id, kind: 'wait', reasonCode: words.reasonCode, reason: `${words.reason}; ${sites.heldWords(reservation)}`, reservation }, borrowable };
}

/** Why a request the cycle could not place waits, from the checks it already made. */
function waitWords(request: WaitingRequest, project: ProjectState, choice: Extract<Choice, { kind: 'none' }>, sites: CycleSites, mayBorrow: boolean): WaitWords {
  if (choice.short) return choice.short;
  if (choice.closest.count === 0) return sites.staticWait(request, project);
  const { closest } = choice;
  // a quota or a budget is the project's, the same at every site: the words of the first site's type
  for (const code of ['QUOTA', 'BUDGET'] as const) {
    if (closest.depth === depth(code)) return { reasonCode: code, reason: projectReason(code, request, project, closest.examples[0]!.type, partSize(request)) };
  }
  const examples = closest.examples.map((c) => roomVerdict(request, project, c.slot.site, c.type, { mayBorrow, need: partSize(request) }));
  return describeWait(request, examples, closest.count);
}

/**
 * One allocator cycle. Requests are taken in fair-share order (see FairShareQueue); each is
 * placed whole (a gang of at least `minCount`, up to `count`, on one site or, when it allows
 * spanning, on several), or told why it waits. Decisions see each other's holds, so a cycle
 * never over-commits a project, a budget or a site. Home shares first go to their own
 * institutions: only the requests left waiting for a home share that is lent may then borrow it.
 */
export function allocate(input: AllocatorInput): Decision[] {
  const policy = input.policy ?? DEFAULT_POLICY;
  const projects = new Map(input.projects.map((p) => [p.id, { ...p, used: { ...p.used } }]));
  // every copy has `reservedFor` (first: added after the spread, it made each cycle 20% slower), so
  // holding capacity at one site does not give it a shape of its own
  const copies = input.sites.map((s): SiteState => ({ reservedFor: null, ...s, used: { ...s.used }, usedByHome: { ...s.usedByHome } }));
  const sites = new CycleSites(copies);
  const reservation = policy.reservation && input.now ? chooseReservation(input.requests, projects, copies, policy.reservation, input.now) : null;
  if (reservation) sites.hold(reservation);
  // by the request's place in the input, as they are returned
  const decisions: Decision[] = new Array(input.requests.length);

  /** One pass over the requests (indices into the input); returns those that may do better borrowing. */
  const pass = (requests: number[], mayBorrow: boolean): number[] => {
    const borrowers: number[] = [];
    const queue = new FairShareQueue(input.requests, requests, projects);
    for (let next = queue.take(); next; next = queue.take()) {
      const { index, project } = next;
      const request = input.requests[index]!;
      if (!project) {
        decisions[index] = { requestId: request.id, kind: 'wait', reasonCode: 'QUOTA', reason: 'the project has no allocation in force' };
      } else {
        const { decision, borrowable } = decide(request, project, sites, mayBorrow, policy);
        if (decision.kind === 'place') {
          if (request.id === sites.reservation?.requestId) sites.release();
          for (const p of decision.placements) {
            holdProject(project, p.instanceType, p.count, request.leaseHours);
            sites.place(p, sites.slot(p.siteId).site.institution === project.institution);
          }
        } else if (borrowable) borrowers.push(index);
        decisions[index] = decision;
      }
      next.done();
    }
    return borrowers;
  };

  const borrowers = pass(Array.from(input.requests, (_, i) => i), false);
  if (borrowers.length > 0) pass(borrowers, true);
  return decisions;
}
