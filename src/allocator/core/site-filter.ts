import { ceilTimes, wholeMs } from './exact-decimal.js';
import { round2 } from './rounding.js';
import type { HeldCapacity, InstanceTypeOffer, LabelRequirement, Limits, ProjectState, Resources, SiteState, SiteVerdict, SiteVerdictCode, WaitingRequest } from './allocator.types.js';

/**
 * The filters a site goes through for one request, in order, as one chain: `siteVerdict` gives
 * the first that stops the site, or FITS with how many instances would start there. The cycle,
 * `explain` and `planRequest` all go through it, so they never disagree.
 */

/** Healthier first, where sites are ranked. */
export const HEALTH_RANK = { HEALTHY: 0, UNKNOWN: 1, DEGRADED: 2, DOWN: 3 } as const;

/** Smaller first: GPUs, then vCPUs, then memory; the name settles a tie. */
export const byTypeSize = (a: InstanceTypeOffer, b: InstanceTypeOffer) => a.gpus - b.gpus || a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB || a.name.localeCompare(b.name);

/** The smallest instance type that gives at least what the request asks per instance. */
export function smallestFittingType(types: InstanceTypeOffer[], want: { vcpus: number; memoryMiB: number; gpus: number }): InstanceTypeOffer | undefined {
  let best: InstanceTypeOffer | undefined;
  for (const t of types) {
    if (t.vcpus >= want.vcpus && t.memoryMiB >= want.memoryMiB && t.gpus >= want.gpus && (!best || byTypeSize(t, best) < 0)) best = t;
  }
  return best;
}

/** A site's instance types smallest first (a stable sort): the first that gives what a request asks is the one `smallestFittingType` picks. */
export const typesBySize = (types: InstanceTypeOffer[]): InstanceTypeOffer[] => [...types].sort(byTypeSize);

const perUnit = (free: number, each: number) => (each === 0 ? Infinity : Math.floor(free / each));

/** How many instances of `type` fit in what is free of each resource. */
function fitCount(vcpus: number, memoryMiB: number, gpus: number, instances: number, type: InstanceTypeOffer): number {
  return Math.max(0, Math.min(perUnit(vcpus, type.vcpus), perUnit(memoryMiB, type.memoryMiB), perUnit(gpus, type.gpus), instances));
}

/** How many instances of `type` fit in what is left of `limits` after `used`. */
export function howManyFit(limits: Limits, used: Resources, type: InstanceTypeOffer): number {
  const byCount = limits.instances === null ? Infinity : limits.instances - used.instances;
  return fitCount(limits.vcpus - used.vcpus, limits.memoryMiB - used.memoryMiB, limits.gpus - used.gpus, byCount, type);
}

/** How many instances of `type` fit in the pooled part of a site (`pooled`, see pooledCapacity): what its own institution uses (`home`) does not count against it. */
function pooledRoom(pooled: Limits, used: Resources, home: Resources, type: InstanceTypeOffer): number {
  const byCount = pooled.instances === null ? Infinity : pooled.instances - (used.instances - home.instances);
  return fitCount(pooled.vcpus - (used.vcpus - home.vcpus), pooled.memoryMiB - (used.memoryMiB - home.memoryMiB), pooled.gpus - (used.gpus - home.gpus), byCount, type);
}

/** How many instances of `type` for `leaseHours` the budget (core-hours, GPU-hours) left pays for, after what running leases are promised. */
export function budgetFits(project: ProjectState, type: InstanceTypeOffer, leaseHours: number): number {
  const per = (left: number | null, promised: number, each: number) => {
    const eachMs = wholeMs(each);
    return left === null || eachMs === 0 ? Infinity : Math.floor((wholeMs(left) - wholeMs(promised)) / eachMs);
  };
  return Math.max(0, Math.min(per(project.coreHoursLeft, project.promisedCoreHours, type.vcpus * leaseHours), per(project.gpuHoursLeft, project.promisedGpuHours, type.gpus * leaseHours)));
}

export function missingLabel(labels: Record<string, string>, requirements: LabelRequirement[]): LabelRequirement | undefined {
  // own keys only: `in` would find 'constructor' on every site
  return requirements.find((r) => !Object.hasOwn(labels, r.key) || (r.value !== null && labels[r.key] !== r.value));
}

export const formatRequirement = (r: LabelRequirement) => (r.value === null ? r.key : `${r.key}=${r.value}`);

/** The part of a site other institutions may use: its capacity less the home share. */
export function pooledCapacity(site: SiteState): Limits {
  // n - ceil(n x share), in exact decimals: in floats 1 - 0.9 is 0.0999..., and 10% of 10 instances would be none
  const part = (n: number) => n - ceilTimes(site.homeShare, n);
  return {
    vcpus: part(site.capacity.vcpus),
    memoryMiB: part(site.capacity.memoryMiB),
    gpus: part(site.capacity.gpus),
    instances: site.capacity.instances === null ? null : part(site.capacity.instances),
  };
}

export function minus(a: Resources, b: Resources): Resources {
  return { vcpus: a.vcpus - b.vcpus, memoryMiB: a.memoryMiB - b.memoryMiB, gpus: a.gpus - b.gpus, instances: a.instances - b.instances };
}

/** Which limit stops `count` more instances of `type`, in words, e.g. "62/64 vCPUs in use, 4 more needed". */
export function bindingLimit(limits: Limits, used: Resources, type: InstanceTypeOffer, count: number): string {
  if (used.vcpus + type.vcpus * count > limits.vcpus) return `${used.vcpus}/${limits.vcpus} vCPUs in use, ${type.vcpus * count} more needed`;
  if (used.memoryMiB + type.memoryMiB * count > limits.memoryMiB) return `${used.memoryMiB}/${limits.memoryMiB} MiB of memory in use, ${type.memoryMiB * count} more needed`;
  if (used.gpus + type.gpus * count > limits.gpus) return `${used.gpus}/${limits.gpus} GPUs in use, ${type.gpus * count} more needed`;
  return `${used.instances}/${limits.instances} instances in use, ${count} more needed`;
}

function budgetReason(project: ProjectState, type: InstanceTypeOffer, leaseHours: number, count: number): string {
  const coreNeed = type.vcpus * leaseHours * count;
  if (project.coreHoursLeft !== null && project.coreHoursLeft - project.promisedCoreHours < coreNeed) {
    const free = Math.max(0, project.coreHoursLeft - project.promisedCoreHours);
    return `project budget: ${round2(free)} core-hours free (${round2(project.coreHoursLeft)} left, ${round2(project.promisedCoreHours)} promised to running leases), ${round2(coreNeed)} needed`;
  }
  const free = Math.max(0, (project.gpuHoursLeft ?? 0) - project.promisedGpuHours);
  return `project budget: ${round2(free)} GPU-hours free (${round2(project.gpuHoursLeft ?? 0)} left, ${round2(project.promisedGpuHours)} promised to running leases), ${round2(type.gpus * leaseHours * count)} needed`;
}


/** The fewest instances a placement of this request must start: a gang, or one more for a running request. */
export function gangSize(request: WaitingRequest): number {
  return request.held > 0 ? 1 : request.minCount;
}

/** The fewest instances one site must take: a part of a spanning request may be a single instance. */
export function partSize(request: WaitingRequest): number {
  return request.spanSites ? 1 : gangSize(request);
}

export interface VerdictOptions {
  /** Whether a site's unused home share may be lent for this placement. */
  mayBorrow: boolean;
  /** A spanning request needs only part of its gang at one site. */
  need?: number;
  /** The site's pooledCapacity, when the caller has it. */
  pooled?: Limits;
}

type StaticCode = 'NOT_ALLOWED' | 'NO_IMAGE' | 'NO_INSTANCE_TYPE' | 'MISSING_LABEL' | 'SITE_DOWN' | 'SITE_DRAINING';

/**
 * The filters that depend only on the request's shape and the site's registry entry (cacheable
 * within a cycle). `smallest`: the site's smallestFittingType for the request (null: none), when
 * the caller knows it.
 */
export function staticCheck(request: WaitingRequest, site: SiteState, smallest?: InstanceTypeOffer | null): { code: StaticCode | null; type: InstanceTypeOffer | null } {
  if (request.sites !== null && !request.sites.includes(site.name)) return { code: 'NOT_ALLOWED', type: null };
  if (!site.images.includes(request.image)) return { code: 'NO_IMAGE', type: null };
  const type = smallest !== undefined ? smallest : (smallestFittingType(site.instanceTypes, request) ?? null);
  if (!type) return { code: 'NO_INSTANCE_TYPE', type };
  if (missingLabel(site.labels, request.requirements)) return { code: 'MISSING_LABEL', type };
  if (site.health === 'DOWN') return { code: 'SITE_DOWN', type };
  if (site.draining) return { code: 'SITE_DRAINING', type };
  return { code: null, type };
}

export interface RoomCheck {
  code: 'COOL_DOWN' | 'QUOTA' | 'BUDGET' | 'SITE_CAPACITY' | 'HOME_SHARE' | 'RESERVED' | 'FITS';
  /** How many instances would start there now (FITS only). */
  fits: number;
  /** How many of those would use the site's unused home share. */
  borrowed: number;
}

/**
 * The filters that depend on what is in use now: cool-down, project quota and budget, the
 * site's capacity and home share. Numbers only, as the cycle runs it for every candidate.
 */
export function checkRoom(request: WaitingRequest, project: ProjectState, site: SiteState, type: InstanceTypeOffer, options: VerdictOptions): Readonly<RoomCheck> {
  if (request.avoidSites.length > 0 && request.avoidSites.includes(site.id)) return STOPPED.COOL_DOWN;
  const need = options.need ?? gangSize(request);
  const held = projectRoom(request, project, type, need);
  if (held.code !== null) return STOPPED[held.code];
  const hold = holdFor(site, request);
  return siteRoom(project, site, type, need, held.atMost, options.mayBorrow, hold, roomAt(site, type, hold, options.pooled));
}

/** What `site` holds for a gang (see ReservationPolicy), if anything. */
export function heldAt(site: SiteState): HeldCapacity | null {
  return site.reservedFor?.held.find((h) => h.siteId === site.id) ?? null;
}

/** What `site` holds for a gang that `request` must leave free: none for the gang itself. */
export function holdFor(site: SiteState, request: WaitingRequest): HeldCapacity | null {
  return site.reservedFor && site.reservedFor.requestId !== request.id ? heldAt(site) : null;
}

/** `used` with what is held counted in. */
function withHeld(used: Resources, held: HeldCapacity): Resources {
  const { instanceType: t, count } = held;
  return { vcpus: used.vcpus + t.vcpus * count, memoryMiB: used.memoryMiB + t.memoryMiB * count, gpus: used.gpus + t.gpus * count, instances: used.instances + count };
}

const NO_PROJECT_ROOM = { QUOTA: { code: 'QUOTA', atMost: 0 }, BUDGET: { code: 'BUDGET', atMost: 0 } } as const;

/**
 * The project's part of `checkRoom`: how many instances of `type` its quota and budget hold, up to
 * what the request still wants. It depends on the type's size only, not on the site.
 */
export function projectRoom(request: WaitingRequest, project: ProjectState, type: InstanceTypeOffer, need: number): { code: 'QUOTA' | 'BUDGET' | null; atMost: number } {
  const quota = howManyFit(project.limits, project.used, type);
  if (quota < need) return NO_PROJECT_ROOM.QUOTA;
  const budget = budgetFits(project, type, request.leaseHours);
  if (budget < need) return NO_PROJECT_ROOM.BUDGET;
  return { code: null, atMost: Math.min(request.count - request.held, quota, budget) };
}

// the checks that stop a site: one object each, as the cycle makes millions of checks
const STOPPED = {
  COOL_DOWN: { code: 'COOL_DOWN', fits: 0, borrowed: 0 },
  QUOTA: { code: 'QUOTA', fits: 0, borrowed: 0 },
  BUDGET: { code: 'BUDGET', fits: 0, borrowed: 0 },
  SITE_CAPACITY: { code: 'SITE_CAPACITY', fits: 0, borrowed: 0 },
  HOME_SHARE: { code: 'HOME_SHARE', fits: 0, borrowed: 0 },
  RESERVED: { code: 'RESERVED', fits: 0, borrowed: 0 },
} as const satisfies Record<Exclude<RoomCheck['code'], 'FITS'>, Readonly<RoomCheck>>;

/** How many instances of a type a site has room for now: in all, and in its pooled part (see pooledCapacity). */
export interface RoomAt {
  total: number;
  /** The same as `total` at a site without a home share. */
  pooled: number;
}

/**
 * `hold`: what the site holds for a gang, counted as used. `pooled`: the site's pooledCapacity,
 * when the caller has it. Written into `into` when given.
 */
export function roomAt(site: SiteState, type: InstanceTypeOffer, hold: HeldCapacity | null, pooled?: Limits, into?: RoomAt): RoomAt {
  // the hold is on the home share when the gang is of the site's institution, as its instances would be
  const used = hold ? withHeld(site.used, hold) : site.used;
  const usedByHome = hold?.home ? withHeld(site.usedByHome, hold) : site.usedByHome;
  const total = howManyFit(site.capacity, used, type);
  const inPool = site.homeShare === 0 ? total : pooledRoom(pooled ?? pooledCapacity(site), used, usedByHome, type);
  if (!into) return { total, pooled: inPool };
  into.total = total;
  into.pooled = inPool;
  return into;
}

/**
 * The site's part of `checkRoom`, for up to `atMost` instances the project can take, leaving free
 * what the site holds for a gang (`hold`). `room`: the site's roomAt for the type with that hold,
 * when the caller keeps count of it. A FITS is written into `into` when given: a cycle checks
 * millions of sites.
 */
export function siteRoom(
  project: ProjectState,
  site: SiteState,
  type: InstanceTypeOffer,
  need: number,
  atMost: number,
  mayBorrow: boolean,
  hold: HeldCapacity | null,
  room: RoomAt = roomAt(site, type, hold),
  into?: RoomCheck,
): Readonly<RoomCheck> {
  const check = roomCheck(project, site, need, atMost, mayBorrow, room, into);
  if (hold === null || check.code === 'FITS') return check;
  // a site that would take it but for what it holds for the gang
  return roomCheck(project, site, need, atMost, mayBorrow, roomAt(site, type, null)).code === 'FITS' ? STOPPED.RESERVED : check;
}

function roomCheck(project: ProjectState, site: SiteState, need: number, atMost: number, mayBorrow: boolean, room: RoomAt, into?: RoomCheck): Readonly<RoomCheck> {
  if (room.total < need) return STOPPED.SITE_CAPACITY;
  let fits = Math.min(atMost, room.total);
  let borrowed = 0;
  if (site.homeShare !== 0 && site.institution !== project.institution && room.pooled < fits) {
    // once its own institution had its pick, a site that lends lets others borrow what its pool lacks
    if (mayBorrow && site.lendsHomeShare) borrowed = fits - room.pooled;
    else if (room.pooled >= need) fits = room.pooled;
    else return STOPPED.HOME_SHARE;
  }
  if (!into) return { code: 'FITS', fits, borrowed };
  into.code = 'FITS';
  into.fits = fits;
  into.borrowed = borrowed;
  return into;
}

/** The first filter that stops `site` for `request`, or FITS, with the reason in words. */
export function siteVerdict(request: WaitingRequest, project: ProjectState, site: SiteState, options: VerdictOptions): SiteVerdict {
  const { code: stopped, type } = staticCheck(request, site);
  const verdict = (code: SiteVerdictCode, reason: string, fits = 0, borrowed = 0): SiteVerdict => ({ siteId: site.id, site: site.name, code, reason, instanceType: type, fits, borrowed });
  switch (stopped) {
    case 'NOT_ALLOWED':
      return verdict(stopped, 'not among the sites the request allows');
    case 'NO_IMAGE':
      return verdict(stopped, `does not offer image '${request.image}'`);
    case 'NO_INSTANCE_TYPE':
      return verdict(stopped, `has no instance type with ${request.vcpus} vCPUs, ${request.memoryMiB} MiB${request.gpus ? ` and ${request.gpus} GPUs` : ''}`);
    case 'MISSING_LABEL':
      return verdict(stopped, `lacks label ${formatRequirement(missingLabel(site.labels, request.requirements)!)}`);
    case 'SITE_DOWN':
      return verdict(stopped, 'is DOWN');
    case 'SITE_DRAINING':
      return verdict(stopped, 'is draining');
    case null: {
      const room = roomVerdict(request, project, site, type!, options);
      // the gang's own verdict at a site that holds capacity for it says so
      const own = site.reservedFor?.requestId === request.id ? heldAt(site) : null;
      return own ? { ...room, reason: `${room.reason}; holds what frees up for this request (${own.count} x ${own.instanceType.name})` } : room;
    }
  }
}

/** Why the project's quota or budget stops `need` instances of `type`, in words: the same at every site. */
export function projectReason(code: 'QUOTA' | 'BUDGET', request: WaitingRequest, project: ProjectState, type: InstanceTypeOffer, need: number): string {
  return code === 'QUOTA' ? `project quota: ${bindingLimit(project.limits, project.used, type, need)}` : budgetReason(project, type, request.leaseHours, need);
}

/** `siteVerdict` for a site that passed `staticCheck` with `type`. */
export function roomVerdict(request: WaitingRequest, project: ProjectState, site: SiteState, type: InstanceTypeOffer, options: VerdictOptions): SiteVerdict {
  const verdict = (code: SiteVerdictCode, reason: string, fits = 0, borrowed = 0): SiteVerdict => ({ siteId: site.id, site: site.name, code, reason, instanceType: type, fits, borrowed });
  const room = checkRoom(request, project, site, type, options);
  const need = options.need ?? gangSize(request);
  switch (room.code) {
    case 'COOL_DOWN':
      return verdict(room.code, 'is avoided for a while after a failed attempt there');
    case 'QUOTA':
    case 'BUDGET':
      return verdict(room.code, projectReason(room.code, request, project, type, need));
    case 'SITE_CAPACITY':
      return verdict(room.code, `is full: ${bindingLimit(site.capacity, site.used, type, need)}`);
    case 'HOME_SHARE': {
      const share = `keeps ${Math.round(site.homeShare * 100)}% for ${site.institution}; the pooled part has ${bindingLimit(pooledCapacity(site), minus(site.used, site.usedByHome), type, need)}`;
      return verdict(room.code, site.lendsHomeShare ? `${share} (its unused home share is lent only after its own institution's requests)` : share);
    }
    case 'RESERVED': {
      const held = holdFor(site, request)!;
      return verdict(room.code, `holds ${held.count} x ${held.instanceType.name} for gang ${site.reservedFor!.requestId}, which has waited longest`);
    }
    case 'FITS': {
      const borrowing = room.borrowed > 0 ? `, ${room.borrowed} on borrowed home share` : '';
      return verdict(room.code, `${room.fits} x ${type.name} would start${borrowing}`, room.fits, room.borrowed);
    }
  }
}
