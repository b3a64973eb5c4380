/**
 * What the broker needs from a site's cloud, whatever speaks behind it.
 * The EC2 driver is the only real implementation; tests use it too, against the emulator over HTTP.
 */

/** How to reach one site's EC2-compatible endpoint. */
export interface SiteConnection {
  /** A stable key for client reuse, e.g. the site id. */
  siteKey: string;
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
}

export interface InstanceFilter {
  /** Every tag must match. */
  tags?: Record<string, string>;
  instanceIds?: string[];
}

export interface ComputeDriver {
  runInstances(input: RunInstancesInput): Promise<SiteInstance[]>;
  /** Follows NextToken to the last page. */
  describeInstances(filter: InstanceFilter): Promise<SiteInstance[]>;
  terminateInstances(siteInstanceIds: string[]): Promise<void>;
  describeAvailabilityZones(): Promise<string[]>;
}

/** What the allocator and the provisioner act on, whatever the site's own error code was. */
export type ComputeErrorCategory = 'capacity' | 'throttling' | 'permanent' | 'auth' | 'transient';

export class ComputeError extends Error {
  constructor(
    readonly category: ComputeErrorCategory,
    /** The site's own error code, e.g. InsufficientInstanceCapacity, or TIMEOUT / NETWORK. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ComputeError';
  }
}
