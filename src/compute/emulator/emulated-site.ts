import type { Clock } from '../../common/clock.js';
import type { SiteInstanceState } from '../compute-driver.js';
import {
  Ec2ApiError,
  instancesNotFound,
  invalidParameterValue,
  missingParameter,
} from './ec2-api-error.js';
import { SiteFaults, type EmulatedFaults } from './ec2-faults.js';
import { applyFilters, type FilterFields } from './ec2-filters.js';
import { IMAGE_ID, INSTANCE_ID, newInstanceId, newReservationId, ownerIdFor, siteOctet } from './ec2-ids.js';
import type { Ec2Filter } from './ec2-query.js';
import { emptySiteState, type StoredInstance, type StoredSiteState } from './emulator-state.js';

/** One emulated cloud site, as the emulator is told about it (e.g. from a site descriptor). */
export interface EmulatedSiteSpec {
  /** The first path segment of the site's endpoint: `<base>/<name>`. */
  name: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Default `[`${region}a`]`. */
  availabilityZones?: string[];
  instanceTypes: EmulatedInstanceType[];
  images: EmulatedImage[];
  /** What the site can run at once; RunInstances beyond it fails with InsufficientInstanceCapacity. Unset: unlimited. */
  capacity?: EmulatedCapacity;
  /**
   * How many instances of a type may be pending or running at once, e.g. `{ 'm1.large': 4 }`;
   * RunInstances beyond it fails with InsufficientInstanceCapacity. Types not named: only `capacity` limits them.
   */
  typeCapacity?: Record<string, number>;
  /** At most this many instances in a DescribeInstances page, whatever MaxResults asks (some clouds page at 100). */
  maxPageSize?: number;
  /** How long (clock time) a new instance stays `pending` before it is `running`. Default 2. */
  pendingSeconds?: number;
  /** How long (clock time) a terminated instance stays `shutting-down` before it is `terminated`. Default 1. */
  shuttingDownSeconds?: number;
  /** Faults to show from the start; none when unset. */
  faults?: EmulatedFaults;
  /** Features of EC2 the site has; all of them when unset. */
  compatibility?: EmulatedCompatibility;
  /** The security group ids RunInstances accepts. Unset: any. */
  securityGroups?: string[];
  /** The subnet ids RunInstances accepts. Unset: any. */
  subnets?: string[];
  /** The key pair names RunInstances accepts. Unset: any. */
  keyPairs?: string[];
}

/** EC2 features that some EC2-compatible clouds lack; each is there unless set to false. */
export interface EmulatedCompatibility {
  /** false: RunInstances with `TagSpecification.*` fails with UnknownParameter (CreateTags still works). */
  tagSpecifications?: boolean;
  /** false: RunInstances ignores its ClientToken, so every call launches new instances. */
  clientToken?: boolean;
  /** false: DescribeInstanceTypes is an InvalidAction. */
  describeInstanceTypes?: boolean;
}

export interface EmulatedInstanceType {
  name: string;
  vcpus: number;
  memoryMiB: number;
  gpus?: number;
}

export interface EmulatedImage {
  imageId: string;
  name: string;
}

export interface EmulatedCapacity {
  vcpus: number;
  memoryMiB: number;
  /** Unset: no GPU limit. */
  gpus?: number;
  /** Unset: no limit on the number of instances. */
  instances?: number;
}

/** An instance as the site sees it now (the state is worked out from the clock when read). */
export interface EmulatedInstance {
  instanceId: string;
  reservationId: string;
  state: SiteInstanceState;
  instanceType: string;
  imageId: string;
  availabilityZone: string;
  privateIp: string;
  launchTime: Date;
  amiLaunchIndex: number;
  tags: Record<string, string>;
  /** Base64, exactly as RunInstances received it. */
  userData?: string;
  clientToken?: string;
  /** When TerminateInstances was called. */
  terminateRequestedAt?: Date;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  securityGroupIds: string[];
  subnetId?: string;
  keyName?: string;
  /** The public address RunInstances asked for; released (though still shown here) once terminated. */
  publicIp?: string;
}

export interface Reservation {
  reservationId: string;
  ownerId: string;
  instances: EmulatedInstance[];
}

export interface RunInstancesRequest {
  imageId: string;
  instanceType: string;
  minCount: number;
  maxCount: number;
  availabilityZone?: string;
  /** Base64. */
  userData?: string;
  clientToken?: string;
  tags: Record<string, string>;
  // Unset rather than empty when not asked for, so ClientToken fingerprints stored before these fields still match.
  securityGroupIds?: string[];
  subnetId?: string;
  keyName?: string;
  associatePublicIp?: boolean;
}

export interface DescribeInstancesQuery {
  instanceIds: string[];
  filters: Ec2Filter[];
  maxResults?: number;
  nextToken?: string;
}

export interface DescribeInstanceTypesQuery {
  instanceTypes: string[];
  filters: Ec2Filter[];
  maxResults?: number;
  nextToken?: string;
}

export interface StateChange {
  instanceId: string;
  previousState: SiteInstanceState;
  currentState: SiteInstanceState;
}

/** Like EC2, terminated instances stay visible for a while, then vanish. */
export const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;
const USER_DATA_MAX_BYTES = 16 * 1024;
const CLIENT_TOKEN_MAX_LENGTH = 64;
/**
 * Every address the emulator hands out is on the loopback network (127.0.0.0/8), so whatever a
 * test connects to (an instance's ssh, Slurm's controller) stays on the machine: private ones are
 * 127.<site>.x.y, public ones 127.<240..242>.<site>.z.
 */
const PUBLIC_NETWORK_OCTETS = [240, 241, 242];
/** Hosts per site: 127.<site>.0.1 to 127.<site>.255.254. */
const PRIVATE_HOSTS = 256 * 254;

/**
 * The state and actions of one site. Actions take parsed, typed input and throw `Ec2ApiError`
 * in EC2's terms; HTTP, XML and authentication live elsewhere.
 */
export class EmulatedSite {
  private spec: EmulatedSiteSpec;
  private readonly state: StoredSiteState;
  readonly ownerId: string;
  readonly faults: SiteFaults;

  constructor(
    spec: EmulatedSiteSpec,
    private readonly clock: Clock,
    /** Called after every change of the state, e.g. to persist it. */
    private readonly onChange: () => void = () => {},
    state?: StoredSiteState,
  ) {
    this.spec = normaliseSpec(spec);
    this.faults = new SiteFaults(spec.faults);
    this.state = state ?? emptySiteState();
    this.ownerId = ownerIdFor(spec.name);
  }

  get name(): string {
    return this.spec.name;
  }

  get region(): string {
    return this.spec.region;
  }

  get accessKeyId(): string {
    return this.spec.accessKeyId;
  }

  get secretAccessKey(): string {
    return this.spec.secretAccessKey;
  }

  get availabilityZones(): string[] {
    return [...(this.spec.availabilityZones ?? [])];
  }

  get images(): EmulatedImage[] {
    return this.spec.images.map((image) => ({ ...image }));
  }

  get compatibility(): Required<EmulatedCompatibility> {
    const { tagSpecifications = true, clientToken = true, describeInstanceTypes = true } = this.spec.compatibility ?? {};
    return { tagSpecifications, clientToken, describeInstanceTypes };
  }

  /** Replaces the spec (credentials, types, images, capacity, timings, faults); instances stay. */
  update(spec: EmulatedSiteSpec): void {
    if (spec.name !== this.spec.name) throw new Error(`cannot rename emulated site ${this.spec.name} to ${spec.name}`);
    this.faults.replace(spec.faults ?? {});
    this.spec = normaliseSpec(spec);
  }

  /** The state to persist. */
  snapshot(): StoredSiteState {
    return this.state;
  }

  /** Every instance still visible, in launch order. */
  instances(): EmulatedInstance[] {
    this.purgeExpired();
    return this.state.instances.map((stored) => this.view(stored));
  }

  runInstances(request: RunInstancesRequest): Reservation {
    this.purgeExpired();
    // A site without idempotent launches does not even look at the token.
    const token = this.compatibility.clientToken ? request.clientToken : undefined;
    if (token !== undefined && token.length > CLIENT_TOKEN_MAX_LENGTH) {
      throw invalidParameterValue(`The client token must be at most ${CLIENT_TOKEN_MAX_LENGTH} characters long`);
    }
    const { clientToken: _token, ...parameters } = request;
    const fingerprint = JSON.stringify(parameters);
    if (token) {
      const earlier = this.state.clientTokens[token];
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) {
          throw new Ec2ApiError(
            'IdempotentParameterMismatch',
            `Arguments on this idempotent request are inconsistent with arguments used in previous request(s).`,
          );
        }
        return this.reservation(earlier.reservationId, earlier.instanceIds);
      }
    }

    const type = this.validateRun(request);
    const zone = request.availabilityZone ?? this.availabilityZones[0];
    const count = this.countThatFits(type, request.minCount, request.maxCount, zone);
    const publicIps = request.associatePublicIp ? this.freePublicIps(count) : [];
    const privateIps = this.freePrivateIps(count);
    const stuckPending = this.faults.stuckPending ? true : undefined;
    const reservationId = newReservationId();
    const launchTime = this.clock.now().toISOString();
    const launched: StoredInstance[] = [];
    for (let index = 0; index < count; index++) {
      launched.push({
        seq: this.state.nextSeq++,
        instanceId: newInstanceId(),
        reservationId,
        imageId: request.imageId,
        instanceType: type.name,
        vcpus: type.vcpus,
        memoryMiB: type.memoryMiB,
        gpus: type.gpus ?? 0,
        availabilityZone: zone,
        privateIp: privateIps[index]!,
        launchTime,
        amiLaunchIndex: index,
        clientToken: token,
        userData: request.userData,
        tags: { ...request.tags },
        securityGroupIds: request.securityGroupIds?.slice(),
        subnetId: request.subnetId,
        keyName: request.keyName,
        publicIp: publicIps[index],
        stuckPending,
      });
    }
    this.state.instances.push(...launched);
    const instanceIds = launched.map((instance) => instance.instanceId);
    if (token) this.state.clientTokens[token] = { reservationId, instanceIds, fingerprint };
    this.onChange();
    return this.reservation(reservationId, instanceIds);
  }

  describeInstances(query: DescribeInstancesQuery): { reservations: Reservation[]; nextToken?: string } {
    this.purgeExpired();
    if (query.instanceIds.length > 0 && query.maxResults !== undefined) {
      throw new Ec2ApiError(
        'InvalidParameterCombination',
        'The parameter instancesSet cannot be used with the parameter maxResults',
      );
    }
    let candidates = this.state.instances;
    if (query.instanceIds.length > 0) candidates = this.findInstances(query.instanceIds);
    const views = applyFilters(
      candidates.map((stored) => ({ stored, view: this.view(stored) })),
      query.filters,
      instanceFilterFields,
      (item) => item.view.tags,
    );

    const afterSeq = query.nextToken === undefined ? 0 : decodeNextToken(query.nextToken);
    const remaining = views.filter((item) => item.stored.seq > afterSeq);
    const pageSize = Math.min(query.maxResults ?? remaining.length, this.spec.maxPageSize ?? Infinity);
    const page = remaining.slice(0, pageSize);
    const nextToken = remaining.length > page.length ? encodeNextToken(page[page.length - 1].stored.seq) : undefined;

    // Consecutive instances of one reservation share a reservation item, as in EC2's answers.
    const reservations: Reservation[] = [];
    for (const { view } of page) {
      const last = reservations[reservations.length - 1];
      if (last && last.reservationId === view.reservationId) last.instances.push(view);
      else reservations.push({ reservationId: view.reservationId, ownerId: this.ownerId, instances: [view] });
    }
    return { reservations, nextToken };
  }

  describeInstanceTypes(query: DescribeInstanceTypesQuery): { instanceTypes: EmulatedInstanceType[]; nextToken?: string } {
    const types = this.spec.instanceTypes;
    const missing = query.instanceTypes.filter((name) => !types.some((type) => type.name === name));
    if (missing.length > 0) {
      throw new Ec2ApiError('InvalidInstanceType', `The following supplied instance types do not exist: [${missing.join(', ')}]`);
    }
    const chosen = query.instanceTypes.length > 0 ? types.filter((type) => query.instanceTypes.includes(type.name)) : types;
    const matching = applyFilters(chosen, query.filters, instanceTypeFilterFields);
    // The token counts the types already returned; EC2's pages hold 100 unless MaxResults says otherwise.
    const offset = query.nextToken === undefined ? 0 : decodeNextToken(query.nextToken);
    const page = matching.slice(offset, offset + (query.maxResults ?? 100));
    const end = offset + page.length;
    return {
      instanceTypes: page.map((type) => ({ ...type })),
      nextToken: end < matching.length ? encodeNextToken(end) : undefined,
    };
  }

  terminateInstances(instanceIds: string[]): StateChange[] {
    this.purgeExpired();
    if (instanceIds.length === 0) throw missingParameter('InstanceId');
    const targets = this.findInstances([...new Set(instanceIds)]);
    const now = this.clock.now().toISOString();
    const changes = targets.map((stored) => {
      const previousState = this.view(stored).state;
      stored.terminateRequestedAt ??= now;
      return { instanceId: stored.instanceId, previousState, currentState: this.view(stored).state };
    });
    this.onChange();
    return changes;
  }

  /**
   * Emulator only (no EC2 equivalent): the site loses these instances without a trace, as when a
   * hypervisor dies and takes its records along, so DescribeInstances no longer lists them. Their
   * capacity is free again. Ids the site does not know are ignored. For fault tests.
   */
  vanish(instanceIds: string[]): void {
    const gone = new Set(instanceIds);
    const before = this.state.instances.length;
    this.state.instances = this.state.instances.filter((stored) => !gone.has(stored.instanceId));
    if (this.state.instances.length !== before) this.onChange();
  }

  createTags(resourceIds: string[], tags: Record<string, string>): void {
    this.purgeExpired();
    if (resourceIds.length === 0) throw missingParameter('ResourceId');
    if (Object.keys(tags).length === 0) throw missingParameter('Tag');
    for (const id of resourceIds) {
      if (!id.startsWith('i-')) throw new Ec2ApiError('InvalidID', `The ID '${id}' is not valid`);
    }
    const targets = this.findInstances([...new Set(resourceIds)]);
    for (const stored of targets) {
      const merged = { ...stored.tags, ...tags };
      if (Object.keys(merged).length > 50) {
        throw new Ec2ApiError('TagLimitExceeded', `The maximum number of Tags for a resource has been reached (50)`);
      }
    }
    for (const stored of targets) stored.tags = { ...stored.tags, ...tags };
    this.onChange();
  }

  describeImages(imageIds: string[], filters: Ec2Filter[]): EmulatedImage[] {
    let images = this.images;
    if (imageIds.length > 0) {
      const missing = imageIds.filter((id) => !images.some((image) => image.imageId === id));
      for (const id of missing) {
        if (!IMAGE_ID.test(id)) throw new Ec2ApiError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
      }
      if (missing.length > 0) {
        throw new Ec2ApiError('InvalidAMIID.NotFound', `The image id '[${missing.join(', ')}]' does not exist`);
      }
      images = images.filter((image) => imageIds.includes(image.imageId));
    }
    return applyFilters(images, filters, imageFilterFields);
  }

  describeAvailabilityZones(zoneNames: string[], filters: Ec2Filter[]): string[] {
    const zones = this.availabilityZones;
    for (const name of zoneNames) {
      if (!zones.includes(name)) {
        throw invalidParameterValue(`The zone '${name}' does not exist in the current region ${this.region}`);
      }
    }
    const chosen = zoneNames.length > 0 ? zones.filter((zone) => zoneNames.includes(zone)) : zones;
    return applyFilters(chosen, filters, {
      'zone-name': (zone) => [zone],
      'region-name': () => [this.region],
      state: () => ['available'],
      'zone-type': () => ['availability-zone'],
    });
  }

  private validateRun(request: RunInstancesRequest): EmulatedInstanceType {
    const { minCount, maxCount } = request;
    if (!Number.isInteger(minCount) || minCount < 1) throw invalidParameterValue(`Invalid value '${minCount}' for MinCount`);
    if (!Number.isInteger(maxCount) || maxCount < 1) throw invalidParameterValue(`Invalid value '${maxCount}' for MaxCount`);
    if (minCount > maxCount) {
      throw invalidParameterValue(`MinCount (${minCount}) must be less than or equal to MaxCount (${maxCount})`);
    }
    if (!this.spec.images.some((image) => image.imageId === request.imageId)) {
      if (!IMAGE_ID.test(request.imageId)) {
        throw new Ec2ApiError('InvalidAMIID.Malformed', `Invalid id: "${request.imageId}" (expecting "ami-...")`);
      }
      throw new Ec2ApiError('InvalidAMIID.NotFound', `The image id '[${request.imageId}]' does not exist`);
    }
    const type = this.spec.instanceTypes.find((candidate) => candidate.name === request.instanceType);
    if (!type) throw invalidParameterValue(`Invalid value '${request.instanceType}' for InstanceType.`);
    if (request.availabilityZone !== undefined && !this.availabilityZones.includes(request.availabilityZone)) {
      throw invalidParameterValue(`Invalid availability zone: [${request.availabilityZone}]`);
    }
    requireKnown(this.spec.securityGroups, request.securityGroupIds ?? [], (id) =>
      new Ec2ApiError('InvalidGroup.NotFound', `The security group '${id}' does not exist`),
    );
    requireKnown(this.spec.subnets, request.subnetId === undefined ? [] : [request.subnetId], (id) =>
      new Ec2ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
    );
    requireKnown(this.spec.keyPairs, request.keyName === undefined ? [] : [request.keyName], (name) =>
      new Ec2ApiError('InvalidKeyPair.NotFound', `The key pair '${name}' does not exist`),
    );
    if (request.userData !== undefined) {
      const base64 = request.userData;
      if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
        throw invalidParameterValue('Invalid BASE64 encoding of user data.');
      }
      if (Buffer.from(base64, 'base64').length > USER_DATA_MAX_BYTES) {
        throw invalidParameterValue(`User data is limited to ${USER_DATA_MAX_BYTES} bytes.`);
      }
    }
    return type;
  }

  /** EC2 starts as many as fit, up to MaxCount, if at least MinCount fit. */
  private countThatFits(type: EmulatedInstanceType, minCount: number, maxCount: number, zone: string): number {
    const capacity = this.spec.capacity;
    const typeCapacity = this.spec.typeCapacity?.[type.name];
    const used = { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0, ofType: 0 };
    // Capacity is given back when TerminateInstances is called, not when shutting-down ends.
    for (const stored of this.state.instances) {
      if (stored.terminateRequestedAt) continue;
      used.vcpus += stored.vcpus;
      used.memoryMiB += stored.memoryMiB;
      used.gpus += stored.gpus;
      used.instances += 1;
      if (stored.instanceType === type.name) used.ofType += 1;
    }
    const limits: number[] = [];
    if (capacity) {
      limits.push(Math.floor((capacity.vcpus - used.vcpus) / type.vcpus), Math.floor((capacity.memoryMiB - used.memoryMiB) / type.memoryMiB));
      if (capacity.gpus !== undefined && (type.gpus ?? 0) > 0) {
        limits.push(Math.floor((capacity.gpus - used.gpus) / (type.gpus ?? 0)));
      }
      if (capacity.instances !== undefined) limits.push(capacity.instances - used.instances);
    }
    if (typeCapacity !== undefined) limits.push(typeCapacity - used.ofType);
    const fits = Math.max(0, Math.min(maxCount, ...limits));
    if (fits < minCount) {
      // HTTP 500, as EC2 sends it: a server error, which the SDK retries.
      throw new Ec2ApiError(
        'InsufficientInstanceCapacity',
        `We currently do not have sufficient ${type.name} capacity in the Availability Zone you requested (${zone}). ` +
          `Our system will be working on provisioning additional capacity.`,
        500,
      );
    }
    return fits;
  }

  /** The stored instances with these ids; EC2 fails the whole call, naming every id it does not know. */
  private findInstances(instanceIds: string[]): StoredInstance[] {
    for (const id of instanceIds) {
      if (!INSTANCE_ID.test(id)) throw new Ec2ApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    }
    const byId = new Map(this.state.instances.map((stored) => [stored.instanceId, stored]));
    const missing = instanceIds.filter((id) => !byId.has(id));
    if (missing.length > 0) throw instancesNotFound(missing);
    return instanceIds.map((id) => byId.get(id) as StoredInstance);
  }

  private reservation(reservationId: string, instanceIds: string[]): Reservation {
    const wanted = new Set(instanceIds);
    const instances = this.state.instances.filter((stored) => wanted.has(stored.instanceId)).map((stored) => this.view(stored));
    return { reservationId, ownerId: this.ownerId, instances };
  }

  private view(stored: StoredInstance): EmulatedInstance {
    return {
      instanceId: stored.instanceId,
      reservationId: stored.reservationId,
      state: this.stateOf(stored),
      instanceType: stored.instanceType,
      imageId: stored.imageId,
      availabilityZone: stored.availabilityZone,
      privateIp: stored.privateIp,
      launchTime: new Date(stored.launchTime),
      amiLaunchIndex: stored.amiLaunchIndex,
      tags: { ...stored.tags },
      userData: stored.userData,
      clientToken: stored.clientToken,
      terminateRequestedAt: stored.terminateRequestedAt ? new Date(stored.terminateRequestedAt) : undefined,
      vcpus: stored.vcpus,
      memoryMiB: stored.memoryMiB,
      gpus: stored.gpus,
      securityGroupIds: [...(stored.securityGroupIds ?? [])],
      subnetId: stored.subnetId,
      keyName: stored.keyName,
      // Like EC2, a terminated instance gives its public address back.
      publicIp: stored.terminateRequestedAt ? undefined : stored.publicIp,
    };
  }

  /** The lifecycle, worked out lazily from the clock: pending -> running; shutting-down -> terminated. */
  private stateOf(stored: StoredInstance): SiteInstanceState {
    const now = this.clock.now().getTime();
    if (stored.terminateRequestedAt) {
      const terminatedAt = Date.parse(stored.terminateRequestedAt) + this.shuttingDownMs;
      return now < terminatedAt ? 'shutting-down' : 'terminated';
    }
    if (stored.stuckPending) return 'pending';
    return now < Date.parse(stored.launchTime) + this.pendingMs ? 'pending' : 'running';
  }

  private get pendingMs(): number {
    return (this.spec.pendingSeconds ?? 2) * 1000;
  }

  private get shuttingDownMs(): number {
    return (this.spec.shuttingDownSeconds ?? 1) * 1000;
  }

  /** Forgets instances terminated more than an hour ago, and ClientTokens none of whose instances remain. */
  private purgeExpired(): void {
    const now = this.clock.now().getTime();
    const before = this.state.instances.length;
    this.state.instances = this.state.instances.filter(
      (stored) =>
        !stored.terminateRequestedAt ||
        now < Date.parse(stored.terminateRequestedAt) + this.shuttingDownMs + TERMINATED_VISIBLE_MS,
    );
    if (this.state.instances.length === before) return;
    const remaining = new Set(this.state.instances.map((stored) => stored.instanceId));
    for (const [token, entry] of Object.entries(this.state.clientTokens)) {
      if (!entry.instanceIds.some((id) => remaining.has(id))) delete this.state.clientTokens[token];
    }
    this.onChange();
  }

  /** `count` public addresses that no live instance of the site holds. */
  private freePublicIps(count: number): string[] {
    const taken = new Set(this.state.instances.map((stored) => this.view(stored).publicIp));
    const site = siteOctet(this.spec.name);
    const free: string[] = [];
    for (const network of PUBLIC_NETWORK_OCTETS) {
      for (let host = 1; host <= 254 && free.length < count; host++) {
        const address = `127.${network}.${site}.${host}`;
        if (!taken.has(address)) free.push(address);
      }
    }
    if (free.length < count) {
      throw new Ec2ApiError('InsufficientAddressCapacity', 'Not enough available addresses to satisfy your minimum request.', 500);
    }
    return free;
  }

  /** `count` private addresses no instance the site still lists has, taken in turn so a freed one is not reused at once. */
  private freePrivateIps(count: number): string[] {
    const taken = new Set(this.state.instances.map((stored) => stored.privateIp));
    const site = siteOctet(this.spec.name);
    const free: string[] = [];
    for (let tries = 0; free.length < count && tries < PRIVATE_HOSTS; tries++) {
      const host = this.state.nextHost++ % PRIVATE_HOSTS;
      const address = `127.${site}.${Math.floor(host / 254)}.${(host % 254) + 1}`;
      if (!taken.has(address)) free.push(address);
    }
    if (free.length < count) {
      throw new Ec2ApiError('InsufficientAddressCapacity', 'Not enough available addresses to satisfy your minimum request.', 500);
    }
    return free;
  }
}

const instanceFilterFields: FilterFields<{ view: EmulatedInstance }> = {
  'instance-id': ({ view }) => [view.instanceId],
  'instance-state-name': ({ view }) => [view.state],
  'instance-state-code': ({ view }) => [String(STATE_CODES[view.state])],
  'instance-type': ({ view }) => [view.instanceType],
  'image-id': ({ view }) => [view.imageId],
  'reservation-id': ({ view }) => [view.reservationId],
  'availability-zone': ({ view }) => [view.availabilityZone],
  'private-ip-address': ({ view }) => [view.privateIp],
  'client-token': ({ view }) => [view.clientToken],
  'subnet-id': ({ view }) => [view.subnetId],
  'key-name': ({ view }) => [view.keyName],
  'instance.group-id': ({ view }) => view.securityGroupIds,
  'ip-address': ({ view }) => [view.publicIp],
};

const instanceTypeFilterFields: FilterFields<EmulatedInstanceType> = {
  'instance-type': (type) => [type.name],
  'vcpu-info.default-vcpus': (type) => [String(type.vcpus)],
  'memory-info.size-in-mib': (type) => [String(type.memoryMiB)],
};

const imageFilterFields: FilterFields<EmulatedImage> = {
  'image-id': (image) => [image.imageId],
  name: (image) => [image.name],
  state: () => ['available'],
};

/** EC2's numeric state codes (the low byte of `instanceState.code`). */
export const STATE_CODES: Record<SiteInstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/**
 * What is wrong with a typeCapacity, if anything: a limit on a type the site does not have, or one
 * that is no count, is a mistake to report, not a setting to ignore.
 */
export function typeCapacityProblem(typeCapacity: Record<string, number> | undefined, typeNames: string[]): { type: string; problem: string } | undefined {
  for (const [type, limit] of Object.entries(typeCapacity ?? {})) {
    if (!typeNames.includes(type)) return { type, problem: `not one of the site's instance types (${typeNames.join(', ')})` };
    if (!(Number.isInteger(limit) && limit >= 0)) return { type, problem: `must be a whole number of at least 0, not ${limit}` };
  }
  return undefined;
}

/** A private copy of the spec; its faults are left out, as the site's SiteFaults keeps them. */
function normaliseSpec({ faults: _faults, ...spec }: EmulatedSiteSpec): EmulatedSiteSpec {
  const problem = typeCapacityProblem(spec.typeCapacity, spec.instanceTypes.map((type) => type.name));
  if (problem) throw new Error(`emulated site ${spec.name}: typeCapacity.${problem.type}: ${problem.problem}`);
  const zones = spec.availabilityZones?.length ? spec.availabilityZones : [`${spec.region}a`];
  return {
    ...spec,
    availabilityZones: [...zones],
    instanceTypes: spec.instanceTypes.map((type) => ({ ...type })),
    images: spec.images.map((image) => ({ ...image })),
    capacity: spec.capacity ? { ...spec.capacity } : undefined,
    typeCapacity: spec.typeCapacity ? { ...spec.typeCapacity } : undefined,
    compatibility: spec.compatibility ? { ...spec.compatibility } : undefined,
    securityGroups: spec.securityGroups?.slice(),
    subnets: spec.subnets?.slice(),
    keyPairs: spec.keyPairs?.slice(),
  };
}

/** With a list of what the site has, every given value must be on it. */
function requireKnown(known: string[] | undefined, given: string[], notFound: (value: string) => Ec2ApiError): void {
  const missing = known && given.find((value) => !known.includes(value));
  if (missing !== undefined) throw notFound(missing);
}

/** NextToken: opaque to clients; here, where the last page ended (a launch sequence number, a count of types). */
function encodeNextToken(after: number): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

function decodeNextToken(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'number' && Number.isInteger(parsed.after) && parsed.after >= 0) return parsed.after;
  } catch {
    // fall through to the error below
  }
  throw invalidParameterValue(`Invalid value '${token}' for nextToken`);
}
