/**
 * What the broker needs from a site's cloud, whatever speaks behind it.
 * The EC2 driver is the only real implementation; tests use it too, against the emulator over HTTP.
 */

/** How to reach one site's EC2-compatible endpoint. */
export interface SiteConnection {
  /** A stable key for client reuse, e.g. the site id. */
  siteKey: string;
  /** The site's name, for messages; default the key. */
  siteName?: string;
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** EC2's instance states, as the site reports them. */
export type SiteInstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export interface SiteInstance {
  siteInstanceId: string;
  state: SiteInstanceState;
  instanceType: string;
  imageId: string;
  privateIp?: string;
  publicIp?: string;
  launchTime?: Date;
  tags: Record<string, string>;
}

/** Not on its way out: the site still runs it, or will. */
export function isLive(instance: SiteInstance): boolean {
  return instance.state !== 'terminated' && instance.state !== 'shutting-down';
}

/** Where new instances go on the site's network; unset fields are left to the site's defaults. */
export interface RunNetworkSettings {
  securityGroupIds: string[];
  subnetId: string | null;
  keyName: string | null;
  /** null: the subnet's default. Set only with a subnet: EC2 takes it on the network interface. */
  associatePublicIp: boolean | null;
}

/** Every field left to the site's defaults. */
export const NO_NETWORK_SETTINGS: RunNetworkSettings = { securityGroupIds: [], subnetId: null, keyName: null, associatePublicIp: null };

/**
 * ON_CREATE: tags in RunInstances (TagSpecifications). AFTER_CREATE: CreateTags right after, for
 * EC2-compatible clouds that do not take TagSpecifications.
 */
export type TagMode = 'ON_CREATE' | 'AFTER_CREATE';

export interface RunInstancesInput {
  /** Idempotency token, at most 64 ASCII characters, stable across retries of one attempt. */
  clientToken: string;
  imageId: string;
  instanceType: string;
  minCount: number;
  maxCount: number;
  /** Plain text (cloud-init); the driver base64-encodes it. */
  userData?: string;
  tags: Record<string, string>;
  /** Default ON_CREATE; a site that rejects TagSpecifications is retried with AFTER_CREATE. */
  tagMode?: TagMode;
  network?: RunNetworkSettings;
}

export interface InstanceFilter {
  /** Every tag must match. */
  tags?: Record<string, string>;
  instanceIds?: string[];
}

export interface InstanceTypeInfo {
  name: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
}

export interface ComputeDriver {
  runInstances(input: RunInstancesInput): Promise<SiteInstance[]>;
  /** Follows NextToken to the last page, unless only the first page is asked for (a cheap probe). */
  describeInstances(filter: InstanceFilter, options?: { firstPageOnly?: boolean }): Promise<SiteInstance[]>;
  terminateInstances(siteInstanceIds: string[]): Promise<void>;
  describeAvailabilityZones(): Promise<string[]>;
  /** The instance types the site offers, or null where the site does not implement DescribeInstanceTypes. */
  describeInstanceTypes(): Promise<InstanceTypeInfo[] | null>;
}

/**
 * What the allocator and the provisioner act on, whatever the site's own error code was.
 * `malformed`: the site answered with success, but the reply could not be read, so what the call
 * did is unknown (RunInstances may have started its instances): not a failure of the site.
 */
export type ComputeErrorCategory = 'capacity' | 'throttling' | 'permanent' | 'auth' | 'transient' | 'malformed';

export class ComputeError extends Error {
  constructor(
    readonly category: ComputeErrorCategory,
    /** The site's own error code, e.g. InsufficientInstanceCapacity, or TIMEOUT / NETWORK. */
    readonly code: string,
    message: string,
    /** Instances the site did start before the failure (e.g. CreateTags failed after RunInstances). */
    readonly startedInstances: SiteInstance[] = [],
    /**
     * What the site (or the network stack) said, in its own words, cut short: for the site's admins
     * and the broker's log only, never for researchers. The message holds the broker's words alone.
     */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ComputeError';
  }
}
