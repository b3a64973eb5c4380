import { createHash } from 'node:crypto';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  CreateTagsCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandOutput,
  type RunInstancesCommandInput,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Filter,
  type Instance,
  type Tag,
} from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  ComputeError,
  type ComputeDriver,
  type InstanceFilter,
  type InstanceTypeInfo,
  type RunNetworkSettings,
  type RunInstancesInput,
  type SiteConnection,
  type SiteInstance,
  type SiteInstanceState,
} from './compute-driver.js';
import { toComputeError } from './ec2-errors.js';

export interface Ec2DriverOptions {
  /** How long to wait for a TCP connection to a site. Default 5000 ms. */
  connectionTimeoutMs?: number;
  /** How long one HTTP request/response may take. Default 20000 ms. */
  requestTimeoutMs?: number;
  /** Attempts per call, including the first, with the SDK's standard (jittered) retry strategy. Default 3. */
  maxAttempts?: number;
  /** MaxResults per DescribeInstances page (5..1000). Default 1000; tests use small pages. */
  describePageSize?: number;
}

/** EC2 takes at most 1000 instance ids per TerminateInstances call. */
const TERMINATE_BATCH = 1000;
/** A site that keeps handing out NextTokens is broken; stop rather than loop forever. */
const MAX_DESCRIBE_PAGES = 10_000;

/**
 * Hands out one EC2 driver (and one EC2Client with its connection pool) per site.
 * A client is reused while the site's endpoint, region and credentials stay the same.
 */
export class Ec2DriverFactory {
  private readonly options: Required<Ec2DriverOptions>;
  private readonly clients = new Map<string, { fingerprint: string; clients: EC2Client[]; driver: Ec2Driver }>();

  constructor(options: Ec2DriverOptions = {}) {
    this.options = {
      connectionTimeoutMs: options.connectionTimeoutMs ?? 5_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
      maxAttempts: options.maxAttempts ?? 3,
      describePageSize: options.describePageSize ?? 1000,
    };
    const pageSize = this.options.describePageSize;
    if (!Number.isInteger(pageSize) || pageSize < 5 || pageSize > 1000) {
      throw new RangeError(`describePageSize must be an integer from 5 to 1000, got ${pageSize}`);
    }
  }

  forSite(conn: SiteConnection): ComputeDriver {
    const fingerprint = connectionFingerprint(conn);
    const cached = this.clients.get(conn.siteKey);
    if (cached?.fingerprint === fingerprint) return cached.driver;
    cached?.clients.forEach((c) => c.destroy());

    const client = (maxAttempts: number) =>
      new EC2Client({
        endpoint: conn.endpoint,
        region: conn.region,
        credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey },
        maxAttempts,
        requestHandler: new NodeHttpHandler({
          connectionTimeout: this.options.connectionTimeoutMs,
          requestTimeout: this.options.requestTimeoutMs,
          // Without this the handler only logs a warning when requestTimeout passes.
          throwOnRequestTimeout: true,
          httpAgent: new Agent({ keepAlive: true, maxSockets: 50 }),
          httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
        }),
      });
    // RunInstances is sent once per call: a site that ignores ClientToken would start the instances
    // again on each of the SDK's resends; the provisioner retries after looking for them by tag
    const clients = [client(this.options.maxAttempts), client(1)];
    const driver = new Ec2Driver(clients[0]!, conn.siteName ?? conn.siteKey, this.options.describePageSize, clients[1]);
    this.clients.set(conn.siteKey, { fingerprint, clients, driver });
    return driver;
  }

  /** Drops the site's client, e.g. after its credentials or endpoint changed or it was removed. */
  forget(siteKey: string): void {
    this.clients.get(siteKey)?.clients.forEach((c) => c.destroy());
    this.clients.delete(siteKey);
  }

  /** Closes every client's connections (application shutdown, end of a test). */
  destroy(): void {
    for (const siteKey of [...this.clients.keys()]) this.forget(siteKey);
  }
}

/** Endpoint, region and credentials; the secret only as a hash, so it is not kept twice in plain text. */
function connectionFingerprint(conn: SiteConnection): string {
  const secret = createHash('sha256').update(conn.secretAccessKey).digest('hex');
  return JSON.stringify([conn.endpoint, conn.region, conn.accessKeyId, secret]);
}

/** The ComputeDriver over one site's EC2-compatible endpoint. Every failure is thrown as a ComputeError. */
export class Ec2Driver implements ComputeDriver {
  /** Learnt when the site rejects TagSpecifications: tag with CreateTags instead. */
  private tagsAfterCreate = false;

  constructor(
    private readonly client: EC2Client,
    private readonly siteName: string,
    private readonly pageSize = 1000,
    /** Sends RunInstances without the SDK's retries (see Ec2DriverFactory). */
    private readonly runClient = client,
  ) {}

  async runInstances(input: RunInstancesInput): Promise<SiteInstance[]> {
    const tags = Object.entries(input.tags).map(([Key, Value]): Tag => ({ Key, Value }));
    if ((input.tagMode ?? 'ON_CREATE') === 'ON_CREATE' && !this.tagsAfterCreate) {
      try {
        return await this.run(input, tags);
      } catch (err) {
        if (!rejectsTagSpecifications(err)) throw err;
        // An older EC2-compatible cloud: nothing was started; tag with CreateTags from now on.
        this.tagsAfterCreate = true;
      }
    }
    const started = await this.run(input, []);
    if (tags.length > 0 && started.length > 0) {
      try {
        await this.client.send(new CreateTagsCommand({ Resources: started.map((i) => i.siteInstanceId), Tags: tags }));
      } catch (err) {
        const error = toComputeError(err, { site: this.siteName, operation: 'CreateTags' });
        throw new ComputeError(error.category, error.code, error.message, started, error.detail);
      }
    }
    return started.map((instance) => ({ ...instance, tags: { ...instance.tags, ...input.tags } }));
  }

  /** RunInstances, with these tags as TagSpecifications (none: the caller tags afterwards). */
  private async run(input: RunInstancesInput, tags: Tag[]): Promise<SiteInstance[]> {
    const output = await this.call('RunInstances', () =>
      this.runClient.send(
        new RunInstancesCommand({
          ClientToken: input.clientToken,
          ImageId: input.imageId,
          InstanceType: input.instanceType as RunInstancesCommand['input']['InstanceType'],
          MinCount: input.minCount,
          MaxCount: input.maxCount,
          UserData: input.userData === undefined ? undefined : Buffer.from(input.userData, 'utf8').toString('base64'),
          TagSpecifications: tags.length > 0 ? [{ ResourceType: 'instance', Tags: tags }] : undefined,
          ...networkParameters(input.network),
        }),
      ),
    );
    const instances = (output.Instances ?? []).map(toSiteInstance);
    // Some EC2-compatible clouds leave tags out of the RunInstances answer; the request's tags are what was set.
    if (tags.length === 0) return instances;
    return instances.map((mapped) => (Object.keys(mapped.tags).length > 0 ? mapped : { ...mapped, tags: { ...input.tags } }));
  }

  async describeInstances(filter: InstanceFilter, options: { firstPageOnly?: boolean } = {}): Promise<SiteInstance[]> {
    if (filter.instanceIds && filter.instanceIds.length === 0) return [];
    // instance-id as a filter, not InstanceIds: ids the site no longer knows are simply absent
    // instead of failing the whole call with InvalidInstanceID.NotFound.
    const filters: Filter[] = Object.entries(filter.tags ?? {}).map(([key, value]) => ({
      Name: `tag:${key}`,
      Values: [value],
    }));
    if (filter.instanceIds) filters.push({ Name: 'instance-id', Values: [...filter.instanceIds] });

    const instances: SiteInstance[] = [];
    const seen = new Set<string>();
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_DESCRIBE_PAGES; page++) {
      const output = await this.call('DescribeInstances', () =>
        this.client.send(
          new DescribeInstancesCommand({
            Filters: filters.length > 0 ? filters : undefined,
            MaxResults: this.pageSize,
            NextToken: nextToken,
          }),
        ),
      );
      for (const reservation of output.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          const mapped = toSiteInstance(instance);
          if (seen.has(mapped.siteInstanceId)) continue;
          seen.add(mapped.siteInstanceId);
          instances.push(mapped);
        }
      }
      if (options.firstPageOnly || !output.NextToken || output.NextToken === nextToken) return instances;
      nextToken = output.NextToken;
    }
    throw toComputeError(new Error(`DescribeInstances returned more than ${MAX_DESCRIBE_PAGES} pages`), {
      site: this.siteName,
      operation: 'DescribeInstances',
    });
  }

  /**
   * Terminates the instances. Ids the site no longer knows count as gone: EC2 would otherwise
   * refuse the whole batch (InvalidInstanceID.NotFound), so they are dropped and the rest retried.
   */
  async terminateInstances(siteInstanceIds: string[]): Promise<void> {
    const unique = [...new Set(siteInstanceIds)];
    for (let start = 0; start < unique.length; start += TERMINATE_BATCH) {
      await this.terminateBatch(unique.slice(start, start + TERMINATE_BATCH));
    }
  }

  async describeAvailabilityZones(): Promise<string[]> {
    const output = await this.call('DescribeAvailabilityZones', () =>
      this.client.send(new DescribeAvailabilityZonesCommand({})),
    );
    return (output.AvailabilityZones ?? []).flatMap((zone) => (zone.ZoneName ? [zone.ZoneName] : []));
  }

  async describeInstanceTypes(): Promise<InstanceTypeInfo[] | null> {
    const types: InstanceTypeInfo[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_DESCRIBE_PAGES; page++) {
      let output: DescribeInstanceTypesCommandOutput;
      try {
        output = await this.client.send(new DescribeInstanceTypesCommand({ MaxResults: 100, NextToken: nextToken }));
      } catch (err) {
        const error = toComputeError(err, { site: this.siteName, operation: 'DescribeInstanceTypes' });
        if (['InvalidAction', 'UnsupportedOperation', 'Unsupported', 'NotImplemented'].includes(error.code)) return null;
        throw error;
      }
      for (const info of output.InstanceTypes ?? []) {
        types.push({
          name: String(info.InstanceType ?? ''),
          vcpus: info.VCpuInfo?.DefaultVCpus ?? 0,
          memoryMiB: Number(info.MemoryInfo?.SizeInMiB ?? 0),
          gpus: (info.GpuInfo?.Gpus ?? []).reduce((sum, gpu) => sum + (gpu.Count ?? 0), 0),
        });
      }
      if (!output.NextToken || output.NextToken === nextToken) return types;
      nextToken = output.NextToken;
    }
    return types;
  }

  private async terminateBatch(ids: string[]): Promise<void> {
    let remaining = ids;
    while (remaining.length > 0) {
      try {
        await this.client.send(new TerminateInstancesCommand({ InstanceIds: remaining }));
        return;
      } catch (err) {
        const unknown = unknownInstanceIds(err);
        const stillThere = remaining.filter((id) => !unknown.has(id));
        if (unknown.size === 0 || stillThere.length === remaining.length) {
          throw toComputeError(err, { site: this.siteName, operation: 'TerminateInstances' });
        }
        remaining = stillThere;
      }
    }
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw toComputeError(err, { site: this.siteName, operation });
    }
  }
}

/** Network placement as RunInstances takes it: a public address is asked for on the first network interface. */
function networkParameters(network: RunNetworkSettings | undefined): Partial<RunInstancesCommandInput> {
  if (!network) return {};
  const groups = network.securityGroupIds.length > 0 ? network.securityGroupIds : undefined;
  const keyName = network.keyName ?? undefined;
  if (network.associatePublicIp !== null && network.subnetId !== null) {
    return {
      KeyName: keyName,
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: network.subnetId, Groups: groups, AssociatePublicIpAddress: network.associatePublicIp }],
    };
  }
  return { KeyName: keyName, SecurityGroupIds: groups, SubnetId: network.subnetId ?? undefined };
}

/** The site does not know TagSpecifications (e.g. UnknownParameter: TagSpecification.1.ResourceType). */
function rejectsTagSpecifications(err: unknown): boolean {
  return err instanceof ComputeError && err.category === 'permanent' && /TagSpecification/i.test(err.detail ?? '');
}

/** The ids named by an InvalidInstanceID.NotFound error ("The instance IDs 'i-1, i-2' do not exist"). */
function unknownInstanceIds(err: unknown): Set<string> {
  const e = err as { name?: unknown; Code?: unknown; message?: unknown } | null;
  const code = e?.Code ?? e?.name;
  if (code !== 'InvalidInstanceID.NotFound' || typeof e?.message !== 'string') return new Set();
  return new Set(e.message.match(/\bi-[0-9a-f]+\b/g) ?? []);
}

const STATES: ReadonlySet<string> = new Set<SiteInstanceState>([
  'pending',
  'running',
  'shutting-down',
  'terminated',
  'stopping',
  'stopped',
]);
/** EC2's state codes (low byte), for sites that send a code but an odd name. */
const STATE_BY_CODE: Record<number, SiteInstanceState> = {
  0: 'pending',
  16: 'running',
  32: 'shutting-down',
  48: 'terminated',
  64: 'stopping',
  80: 'stopped',
};

function toState(instance: Instance): SiteInstanceState {
  const name = instance.State?.Name?.toLowerCase();
  if (name && STATES.has(name)) return name as SiteInstanceState;
  const code = instance.State?.Code;
  return (code !== undefined ? STATE_BY_CODE[code & 0xff] : undefined) ?? 'pending';
}

function toSiteInstance(instance: Instance): SiteInstance {
  const tags: Record<string, string> = Object.fromEntries(
    (instance.Tags ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']])),
  );
  return {
    siteInstanceId: instance.InstanceId ?? '',
    state: toState(instance),
    instanceType: String(instance.InstanceType ?? ''),
    imageId: instance.ImageId ?? '',
    privateIp: instance.PrivateIpAddress || undefined,
    publicIp: instance.PublicIpAddress || undefined,
    launchTime: instance.LaunchTime,
    tags,
  };
}
