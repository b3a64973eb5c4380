/** Plain data in, decisions out: the allocator core knows nothing of Nest or the database. */

export interface Resources {
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  instances: number;
}

export interface InstanceTypeOffer {
  name: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
}

export interface SiteState {
  id: string;
  name: string;
  health: 'UNKNOWN' | 'HEALTHY' | 'DEGRADED' | 'DOWN';
  /** Draining sites take no new placements. */
  draining: boolean;
  /** What the site lends; `instances: null` means no limit on the count. */
  capacity: Omit<Resources, 'instances'> & { instances: number | null };
  /** What instances placed by the broker hold there now. */
  used: Resources;
  instanceTypes: InstanceTypeOffer[];
  /** Logical image names the site offers. */
  images: string[];
}

export interface ProjectState {
  id: string;
  /** Sum of the allocations in force; `instances: null` means no limit on the count. */
  limits: Omit<Resources, 'instances'> & { instances: number | null };
  used: Resources;
}

export interface WaitingRequest {
  id: string;
  projectId: string;
  image: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  count: number;
  minCount: number;
  /** Allowed site names; null: any. */
  sites: string[] | null;
  createdAt: Date;
}

export interface AllocatorInput {
  sites: SiteState[];
  projects: ProjectState[];
  requests: WaitingRequest[];
}

export type WaitReasonCode = 'QUOTA' | 'NO_IMAGE' | 'NO_INSTANCE_TYPE' | 'SITE_DOWN' | 'SITE_DRAINING' | 'SITE_CAPACITY' | 'NO_SITE';

export type Decision =
  | { requestId: string; kind: 'place'; siteId: string; instanceType: InstanceTypeOffer; count: number }
  | { requestId: string; kind: 'wait'; reasonCode: WaitReasonCode; reason: string };
