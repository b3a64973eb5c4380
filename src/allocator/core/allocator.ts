import type {
  AllocatorInput,
  AllocatorPolicy,
  Decision,
  InstanceTypeOffer,
  Placement,
  ProjectState,
  SiteState,
  SiteVerdict,
  SiteVerdictCode,
  WaitReasonCode,
  WaitingRequest,
} from './allocator.types.js';
import { SITE_VERDICTS } from './allocator.types.js';
import { fairShareScore } from './fair-share.js';
import { checkRoom, formatRequirement, gangSize, partSize, projectRoom, siteRoom, siteVerdict, staticCheck, type RoomCheck } from './site-filter.js';

const DEFAULT_POLICY: AllocatorPolicy = { placement: 'spread' };
const HEALTH_RANK = { HEALTHY: 0, UNKNOWN: 1, DEGRADED: 2, DOWN: 3 } as const;
const DEPTH = new Map<string, number>(SITE_VERDICTS.map((code, i) => [code, i]));
const depth = (code: SiteVerdictCode) => DEPTH.get(code)!;
/** How many sites a reason names. */
const EXAMPLES = 3;

type WaitWords = { reasonCode: WaitReasonCode; reason: string };

interface Candidate {
  site: SiteState;
  type: InstanceTypeOffer;
  /** The site's place in name order, which reasons list sites in. */
  order: number;
}

interface Fit {
  site: SiteState;
  type: InstanceTypeOffer;
  room: RoomCheck;
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

/** Rank order of sites that fit: own capacity before borrowed, smallest type, preferred, healthy, then spread or pack. */
function rankOrder(request: WaitingRequest, policy: AllocatorPolicy): (a: Fit, b: Fit) => number {
  const preference = (site: SiteState) => {
    const i = request.preferredSites.indexOf(site.name);
    return i === -1 ? Infinity : i;
  };
  const load = (site: SiteState) => site.used.vcpus / Math.max(1, site.capacity.vcpus);
  const sign = policy.placement === 'pack' ? -1 : 1;
  return (a, b) =>
    Number(a.room.borrowed > 0) - Number(b.room.borrowed > 0) ||
    a.type.gpus - b.type.gpus ||
    a.type.vcpus - b.type.vcpus ||
    a.type.memoryMiB - b.type.memoryMiB ||
    preference(a.site) - preference(b.site) ||
    HEALTH_RANK[a.site.health] - HEALTH_RANK[b.site.health] ||
    sign * (load(a.site) - load(b.site)) ||
    a.site.name.localeCompare(b.site.name);
}

/** Sites that stop a request at the same stage: a site that is DOWN and one that is draining do. */
const stage = (code: SiteVerdictCode) => depth(code === 'SITE_DRAINING' ? 'SITE_DOWN' : code);

/**
 * Why a request waits, in words: the filter that stopped the sites that came closest binds.
 * `binding` holds those sites' verdicts (at least the first few of `total`).
 */
function describeWait(request: WaitingRequest, binding: SiteVerdict[], total: number): WaitWords {
  const allowed = request.sites ? 'allowed ' : '';
  const sites = binding
    .slice(0, EXAMPLES)
    .map((v) => `site ${v.site} ${v.reason}`)
    .join('; ');
  const listed = total > EXAMPLES ? `${sites}; and ${total - EXAMPLES} more` : sites;
  const code = binding[0]!.code as WaitReasonCode;
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
    case 'QUOTA':
    case 'BUDGET':
      return { reasonCode: code, reason: binding[0]!.reason };
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
  const shapes = new ShapeCache(sites);
  let mayBorrow = false;
  let outcome = decide(request, project, shapes, mayBorrow, policy);
  if (outcome.borrowable) {
    mayBorrow = true;
    outcome = decide(request, project, shapes, mayBorrow, policy);
  }
  const verdicts = sites.map((site) => siteVerdict(request, project, site, { mayBorrow, need: partSize(request) }));
  const byId = new Map(sites.map((s) => [s.id, s]));
  const fits: Fit[] = verdicts
    .filter((v) => v.code === 'FITS')
    .map((v) => ({ site: byId.get(v.siteId)!, type: v.instanceType!, room: { code: 'FITS', fits: v.fits, borrowed: v.borrowed } }));
  fits.sort(rankOrder(request, policy));
  const rank = new Map(fits.map((f, i) => [f.site.id, i]));
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
    const at = this.examples.findIndex((e) => candidate.order < e.order);
    if (at === -1) {
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
  const fitting: Fit[] = [];
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
      if (cooling && request.avoidSites.includes(c.site.id)) closest.note('COOL_DOWN', c);
      else if (held.code !== null) closest.note(held.code, c);
      else {
        const room = siteRoom(project, c.site, c.type, need, held.atMost, mayBorrow);
        if (room.code === 'FITS') fitting.push({ site: c.site, type: c.type, room });
        else closest.note(room.code, c);
        if ((room.code === 'FITS' || room.code === 'HOME_SHARE') && lendsTo(c.site, project)) borrowable = true;
        full &&= room.code === 'SITE_CAPACITY';
      }
    }
    if (full) group.fullFor = need;
  }
  if (fitting.length === 0) return { kind: 'none', closest, borrowable };

  const order = rankOrder(request, policy);
  const whole = request.spanSites ? request.count - request.held : gangSize(request);
  let best: Fit | undefined;
  for (const f of fitting) if (f.room.fits >= whole && (!best || order(f, best) < 0)) best = f;
  if (best) return { kind: 'place', placements: [{ siteId: best.site.id, instanceType: best.type, count: best.room.fits, borrowed: best.room.borrowed }] };
  if (!request.spanSites) {
    // only a request whose gang is more than it wants gets here
    return { kind: 'none', closest, borrowable, short: shortOfGang(request, project, fitting, Math.max(...fitting.map((f) => f.room.fits)), mayBorrow) };
  }
  return spread(request, project, fitting.sort(order), mayBorrow, closest, borrowable);
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
    const room = checkRoom({ ...request, held: request.held + total }, tentative, f.site, f.type, { mayBorrow, need: 1 });
    if (room.code !== 'FITS') continue;
    placements.push({ siteId: f.site.id, instanceType: f.type, count: room.fits, borrowed: room.borrowed });
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
    const { code, reason } = siteVerdict(request, project, fitting[0]!.site, { mayBorrow, need: gang });
    return { reasonCode: code as WaitReasonCode, reason };
  }
  return { reasonCode: 'SITE_CAPACITY', reason: `the sites that fit have room for ${room} of the ${gang} instances that must start together` };
}

function holdProject(project: ProjectState, type: InstanceTypeOffer, count: number, leaseHours: number): void {
  project.used.vcpus += type.vcpus * count;
  project.used.memoryMiB += type.memoryMiB * count;
  project.used.gpus += type.gpus * count;
  project.used.instances += count;
  project.promisedCoreHours += type.vcpus * count * leaseHours;
  project.promisedGpuHours += type.gpus * count * leaseHours;
}

function holdSite(site: SiteState, type: InstanceTypeOffer, count: number, home: boolean): void {
  for (const used of home ? [site.used, site.usedByHome] : [site.used]) {
    used.vcpus += type.vcpus * count;
    used.memoryMiB += type.memoryMiB * count;
    used.gpus += type.gpus * count;
    used.instances += count;
  }
}

/** The filters that depend only on a request's shape, worked out once per shape in a cycle. */
class ShapeCache {
  private readonly shapes = new Map<string, { groups: TypeGroup[]; wait?: WaitWords }>();
  private readonly sites: SiteState[];
  private readonly byName: Map<string, number>;

  constructor(sites: SiteState[]) {
    this.sites = [...sites].sort((a, b) => a.name.localeCompare(b.name));
    this.byName = new Map(this.sites.map((site, order) => [site.name, order]));
  }

  private key(request: WaitingRequest): string {
    return `${request.image}|${request.vcpus}|${request.memoryMiB}|${request.gpus}|${request.sites?.join(',') ?? '*'}|${request.requirements.map(formatRequirement).join(',')}`;
  }

  private shape(request: WaitingRequest) {
    const key = this.key(request);
    let found = this.shapes.get(key);
    if (!found) {
      const groups: TypeGroup[] = [];
      // a request that names its sites needs only those looked at (once each, in name order)
      const orders = request.sites ? [...new Set(request.sites.flatMap((name) => this.byName.get(name) ?? []))].sort((a, b) => a - b) : this.sites.keys();
      for (const order of orders) {
        const site = this.sites[order]!;
        const { code, type } = staticCheck(request, site);
        if (code !== null) continue;
        let group = groups.find((g) => g.type.gpus === type!.gpus && g.type.vcpus === type!.vcpus && g.type.memoryMiB === type!.memoryMiB);
        if (!group) groups.push((group = { type: type!, candidates: [], fullFor: Infinity }));
        group.candidates.push({ site, type: type!, order });
      }
      found = { groups };
      this.shapes.set(key, found);
    }
    return found;
  }

  groups(request: WaitingRequest): TypeGroup[] {
    return this.shape(request).groups;
  }

  /** Why a request waits when no site passes the static filters (the same for every request of the shape). */
  staticWait(request: WaitingRequest, project: ProjectState): WaitWords {
    const shape = this.shape(request);
    shape.wait ??= waitReason(
      request,
      this.sites.map((site) => siteVerdict(request, project, site, { mayBorrow: false })),
    );
    return shape.wait;
  }
}

/** One request's decision, and whether it may do better once home shares are lent. */
function decide(request: WaitingRequest, project: ProjectState, shapes: ShapeCache, mayBorrow: boolean, policy: AllocatorPolicy): { decision: Decision; borrowable: boolean } {
  const choice = choose(request, project, shapes.groups(request), mayBorrow, policy);
  if (choice.kind === 'place') return { decision: { requestId: request.id, kind: 'place', placements: choice.placements }, borrowable: false };
  return { decision: { requestId: request.id, kind: 'wait', ...waitWords(request, project, choice, shapes, mayBorrow) }, borrowable: !mayBorrow && choice.borrowable };
}

/** Why a request the cycle could not place waits, from the checks it already made. */
function waitWords(request: WaitingRequest, project: ProjectState, choice: Extract<Choice, { kind: 'none' }>, shapes: ShapeCache, mayBorrow: boolean): WaitWords {
  if (choice.short) return choice.short;
  if (choice.closest.count === 0) return shapes.staticWait(request, project);
  // words only for the sites the reason names: a quota or a budget is the project's, the same at every site
  const { closest } = choice;
  const named = closest.depth === depth('QUOTA') || closest.depth === depth('BUDGET') ? 1 : EXAMPLES;
  const examples = closest.examples.slice(0, named).map((c) => siteVerdict(request, project, c.site, { mayBorrow, need: partSize(request) }));
  return describeWait(request, examples, closest.count);
}

type QueueEntry = { project: ProjectState | undefined; requests: WaitingRequest[]; next: number };

/** Oldest first; the id settles a tie, so the order never depends on the input's. */
const olderFirst = (a: WaitingRequest, b: WaitingRequest) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Projects in fair-share order, each with its waiting requests oldest first. The project with
 * the lowest score goes next; a placement raises its score at once, so one cycle already
 * interleaves projects by share.
 */
class FairShareQueue {
  private readonly order: QueueEntry[] = [];

  constructor(requests: WaitingRequest[], projects: Map<string, ProjectState>) {
    const byProject = new Map<string, WaitingRequest[]>();
    for (const r of requests) {
      const list = byProject.get(r.projectId);
      if (list) list.push(r);
      else byProject.set(r.projectId, [r]);
    }
    for (const [projectId, list] of byProject) this.insert({ project: projects.get(projectId), requests: list.sort(olderFirst), next: 0 });
  }

  private static score(entry: QueueEntry): number {
    return entry.project ? fairShareScore(entry.project) : Infinity;
  }

  private static before(a: QueueEntry, b: QueueEntry): boolean {
    const sa = FairShareQueue.score(a);
    const sb = FairShareQueue.score(b);
    return sa !== sb ? sa < sb : olderFirst(a.requests[a.next]!, b.requests[b.next]!) < 0;
  }

  private insert(entry: QueueEntry): void {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (FairShareQueue.before(this.order[mid]!, entry)) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, entry);
  }

  /** The next request in fair-share order, or undefined when all were taken. */
  take(): { request: WaitingRequest; project: ProjectState | undefined; done: () => void } | undefined {
    const entry = this.order.shift();
    if (!entry) return undefined;
    const request = entry.requests[entry.next++]!;
    // put the project back after the caller has held what it placed, so its new score counts
    const done = () => {
      if (entry.next < entry.requests.length) this.insert(entry);
    };
    return { request, project: entry.project, done };
  }
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
  const sites = input.sites.map((s) => ({ ...s, used: { ...s.used }, usedByHome: { ...s.usedByHome } }));
  const byId = new Map(sites.map((s) => [s.id, s]));
  const shapes = new ShapeCache(sites);
  const decisions = new Map<string, Decision>();

  const pass = (requests: WaitingRequest[], mayBorrow: boolean): WaitingRequest[] => {
    const borrowers: WaitingRequest[] = [];
    const queue = new FairShareQueue(requests, projects);
    for (let next = queue.take(); next; next = queue.take()) {
      const { request, project } = next;
      if (!project) {
        decisions.set(request.id, { requestId: request.id, kind: 'wait', reasonCode: 'QUOTA', reason: 'the project has no allocation in force' });
      } else {
        const { decision, borrowable } = decide(request, project, shapes, mayBorrow, policy);
        if (decision.kind === 'place') {
          for (const p of decision.placements) {
            const site = byId.get(p.siteId)!;
            holdProject(project, p.instanceType, p.count, request.leaseHours);
            holdSite(site, p.instanceType, p.count, site.institution === project.institution);
          }
        } else if (borrowable) borrowers.push(request);
        decisions.set(request.id, decision);
      }
      next.done();
    }
    return borrowers;
  };

  const borrowers = pass(input.requests, false);
  if (borrowers.length > 0) pass(borrowers, true);
  return input.requests.map((r) => decisions.get(r.id)!);
}
