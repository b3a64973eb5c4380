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
}

export type PlacementStrategy = 'spread' | 'pack';

export interface AllocatorPolicy {
  /** spread: the emptiest fitting site first; pack: the fullest one that still fits. */
  placement: PlacementStrategy;
}

export interface AllocatorInput {
  sites: SiteState[];
  projects: ProjectState[];
  requests: WaitingRequest[];
  policy?: AllocatorPolicy;
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
  | { requestId: string; kind: 'wait'; reasonCode: WaitReasonCode; reason: string };
