/** Plain data in, decisions out: the allocator core knows nothing of Nest or the database. */

export interface Resources {
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  instances: number;
}

/** A ceiling on resources; `instances: null` means no limit on the count. */
export type Limits = Omit<Resources, 'instances'> & { instances: number | null };

export interface InstanceTypeOffer {
  name: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
}

export type SiteHealthState = 'UNKNOWN' | 'HEALTHY' | 'DEGRADED' | 'DOWN';

export interface SiteState {
  id: string;
  name: string;
  institution: string;
  health: SiteHealthState;
  /** Draining sites take no new placements. */
  draining: boolean;
  /** What the site lends to the federation. */
  capacity: Limits;
  /** Share (0..1) of the capacity kept for projects of the site's own institution. */
  homeShare: number;
  /** Whether other institutions may borrow the home share while it is unused. */
  lendsHomeShare: boolean;
  /** What instances placed by the broker hold there now. */
  used: Resources;
  /** Of `used`, what projects of the site's own institution hold. */
  usedByHome: Resources;
  instanceTypes: InstanceTypeOffer[];
  /** Logical image names the site offers. */
  images: string[];
  /** e.g. { gpu: 'a100', network: 'infiniband' }, matched by requests' requirements. */
  labels: Record<string, string>;
  /** The gang this site holds capacity for (see ReservationPolicy); others may use only what it does not need. */
  reservedFor?: Reservation | null;
}

export interface ProjectState {
  id: string;
  institution: string;
  /** Sum of the allocations in force. */
  limits: Limits;
  /** What the project's instances hold now. */
  used: Resources;
  /** Budget granted by the allocations in force, less what was charged; null: unlimited. */
  coreHoursLeft: number | null;
  gpuHoursLeft: number | null;
  /** What the leases of the instances that hold resources will still cost if they run to the end. */
  promisedCoreHours: number;
  promisedGpuHours: number;
  /** Core-hours used, decayed with the fair-share half-life (see fair-share.ts). */
  usage: number;
  /** Like HTCondor's priority factor: a project with factor 2 gets half the share of one with factor 1. */
  priorityFactor: number;
}

/** `key=value`, or `key` alone: the site must have that label (with that value). */
export interface LabelRequirement {
  key: string;
  value: string | null;
}

export interface WaitingRequest {
  id: string;
  projectId: string;
  image: string;
  /** Per instance, at least. */
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  count: number;
  /** A gang: nothing starts until this many can start together. */
  minCount: number;
  leaseHours: number;
  /** Allowed site names; null: any. */
  sites: string[] | null;
  requirements: LabelRequirement[];
  /** Site names ranked first among equally good candidates, in this order. */
  preferredSites: string[];
  /** Whether the instances may be spread over several sites. */
  spanSites: boolean;
  /** Instances it already holds: a running request with `held < count` may be topped up one at a time. */
  held: number;
  /** Site ids it must avoid for now (a cool-down after a failed attempt there). */
  avoidSites: string[];
  createdAt: Date;
  /** A gang capacity has been held for (see ReservationPolicy): since when, and where last; null or absent: never. */
  reserved?: { since: Date; siteIds: string[] } | null;
}

export type PlacementStrategy = 'spread' | 'pack';

/**
 * Without it, a cycle is greedy: a gang that needs much of a site waits for ever while small
 * requests keep taking what frees up there. With it, capacity is held for one gang at a time, the
 * one that has waited longest (at least `afterMinutes` since it was submitted; one that holds
 * capacity already keeps it): at one site, the one that held it last cycle or else the one
 * closest to taking it whole (a gang that may span sites and is too big for any one: across the
 * sites closest to taking it, as many as it needs), what frees up is kept for it, and other
 * requests get only what it does not need (backfill). So it starts at the latest when what ran
 * there when the hold began has ended.
 * Only while its project's quota and budget allow it and the sites it may use could hold it at
 * all, and for at most `holdMinutes`: then it waits like any other request, and the next gang
 * that qualifies has capacity held for it.
 */
export interface ReservationPolicy {
  afterMinutes: number;
  holdMinutes: number;
}

export interface AllocatorPolicy {
  /** spread: the emptiest fitting site first; pack: the fullest one that still fits. */
  placement: PlacementStrategy;
  /** Absent: no gang has capacity held for it. */
  reservation?: ReservationPolicy;
}

export interface AllocatorInput {
  sites: SiteState[];
  projects: ProjectState[];
  requests: WaitingRequest[];
  policy?: AllocatorPolicy;
  /** The cycle's time; a reservation needs it. */
  now?: Date;
}

/** The capacity held for a gang in a cycle (see ReservationPolicy). */
export interface Reservation {
  /** The gang's request. */
  requestId: string;
  /** When capacity was first held for it. */
  since: Date;
  /** When the hold lapses at the latest. */
  until: Date;
  held: HeldCapacity[];
}

/** What one site holds for the gang. */
export interface HeldCapacity {
  siteId: string;
  instanceType: InstanceTypeOffer;
  count: number;
  /** Whether the gang's project is of the site's institution (the hold is then on the site's home share). */
  home: boolean;
}

/**
 * Why a site does not take a request, in filter order: the later a code, the closer the site
 * came to taking it. FITS ends the chain.
 */
export const SITE_VERDICTS = [
  'NOT_ALLOWED',
  'NO_IMAGE',
  'NO_INSTANCE_TYPE',
  'MISSING_LABEL',
  'SITE_DOWN',
  'SITE_DRAINING',
  'COOL_DOWN',
  'QUOTA',
  'BUDGET',
  'SITE_CAPACITY',
  'HOME_SHARE',
  'RESERVED',
  'FITS',
] as const;
export type SiteVerdictCode = (typeof SITE_VERDICTS)[number];

/** Why a request waits; NO_SITE: none of the sites it allows is registered. */
export type WaitReasonCode = Exclude<SiteVerdictCode, 'FITS' | 'NOT_ALLOWED'> | 'NO_SITE';

export interface SiteVerdict {
  siteId: string;
  site: string;
  code: SiteVerdictCode;
  /** In words, e.g. "lacks label gpu=a100", "project quota: 62/64 vCPUs in use, 4 more needed". */
  reason: string;
  /** The instance type this site would use, once a type fits. */
  instanceType: InstanceTypeOffer | null;
  /** How many instances would start there now (FITS only). */
  fits: number;
  /** How many of those would use the site's unused home share. */
  borrowed: number;
}

export interface Placement {
  siteId: string;
  instanceType: InstanceTypeOffer;
  count: number;
  /** How many of the `count` instances borrow the site's home share. */
  borrowed: number;
}

export type Decision =
  | { requestId: string; kind: 'place'; placements: Placement[] }
  | {
      requestId: string;
      kind: 'wait';
      reasonCode: WaitReasonCode;
      reason: string;
      /** For the gang capacity is held for: where, and since when. */
      reservation?: Reservation;
    };
