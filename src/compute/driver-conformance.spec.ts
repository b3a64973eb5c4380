import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import {
  CreateTagsCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
  type EC2ClientConfig,
  type Instance,
  type InstanceState,
  type RunInstancesCommandInput,
  type RunInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { ManualClock } from '../common/clock.js';
import { Ec2Emulator, type EmulatedSiteSpec } from './emulator/index.js';

/**
 * Driver conformance: the AWS SDK (@aws-sdk/client-ec2, which the EC2 driver is built on) parses
 * every answer of an EC2-compatible endpoint, successes field by field and errors into SDK service
 * exceptions with the right name, Code, HTTP status and message.
 *
 * `conformanceSuite(name, makeTarget)` runs against any endpoint. It always runs against the
 * bundled emulator; set SKYPOOL_CONFORMANCE_ENDPOINT (with ..._ACCESS_KEY_ID, ..._SECRET_ACCESS_KEY,
 * ..._IMAGE_ID, and optionally ..._REGION, ..._INSTANCE_TYPE) to run it against another endpoint
 * too, e.g. moto in server mode (`moto_server -p 5000`, SKYPOOL_CONFORMANCE_ENDPOINT=http://127.0.0.1:5000).
 *
 * The shared suite asserts only what holds for EC2 itself and for an honest imitation (checked
 * against moto 5): moto, for one, ignores ClientTokens and MaxResults, launches any image id and
 * does not check signatures, so assertions about those, and everything that depends on how the
 * emulator was set up (its images, zones, types, network lists, faults, clock), are the emulator
 * target's own checks.
 */

/** An EC2-compatible endpoint to hold the SDK against. */
export interface ConformanceTarget {
  /** Valid credentials and one attempt per call, so no SDK retry hides what the endpoint answered. */
  client: EC2Client;
  region: string;
  /** An image RunInstances can launch. */
  imageId: string;
  /** An instance type RunInstances can launch and DescribeInstanceTypes knows. */
  instanceType: string;
  /** Called after the suite has terminated the instances it started. */
  close(): Promise<void>;
}

/** An error the target can be made to answer, and how the SDK must parse it. */
export interface ProvokedError<T extends ConformanceTarget = ConformanceTarget> {
  what: string;
  /** The EC2 error code: the exception's `name` and `Code`. */
  code: string;
  status: number;
  message: RegExp;
  provoke(target: T): Promise<unknown>;
}

export interface ConformanceExtras<T extends ConformanceTarget> {
  /** Errors only this target produces (faults, its own setup); the suite adds the shared ones. */
  errors?: Array<ProvokedError<T>>;
  /** Assertions that depend on this target's own setup, registered inside the suite's describe. */
  ownChecks?: (target: () => T) => void;
}

/** EC2's numeric state codes (the low byte of InstanceState.Code). */
const STATE_CODES: Record<string, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

/** The state's name is one of `names` and its code is EC2's code for that name. */
function expectState(state: InstanceState | undefined, names: string[]): void {
  expect(names).toContain(state?.Name);
  expect((state?.Code ?? -1) & 0xff).toBe(STATE_CODES[state?.Name ?? '']);
}

const tagsOf = (instance: Instance | undefined): Record<string, string> =>
  Object.fromEntries((instance?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

const instancesOf = (output: { Reservations?: Array<{ Instances?: Instance[] }> }): Instance[] =>
  (output.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);

/** The call must fail with an SDK service exception; returns it. */
async function serviceException(call: Promise<unknown>): Promise<EC2ServiceException> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (err) {
    expect(err).toBeInstanceOf(EC2ServiceException);
    return err as EC2ServiceException;
  }
  throw new Error(`expected an EC2 error, but the call succeeded: ${JSON.stringify(outcome).slice(0, 300)}`);
}

/** Errors every EC2-compatible endpoint answers the same way (EC2 itself, moto, the emulator). */
const SHARED_ERRORS: ProvokedError[] = [
  {
    what: 'TerminateInstances of an unknown instance',
    code: 'InvalidInstanceID.NotFound',
    status: 400,
    message: /i-0123456789abcdef0/,
    provoke: ({ client }) => client.send(new TerminateInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
  },
  {
    what: 'DescribeInstances of an unknown instance',
    code: 'InvalidInstanceID.NotFound',
    status: 400,
    message: /i-0fedcba9876543210/,
    provoke: ({ client }) => client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0fedcba9876543210'] })),
  },
  {
    what: 'DescribeImages of an unknown image',
    code: 'InvalidAMIID.NotFound',
    status: 400,
    message: /ami-00000000000000bad/,
    provoke: ({ client }) => client.send(new DescribeImagesCommand({ ImageIds: ['ami-00000000000000bad'] })),
  },
  {
    what: 'DescribeInstanceTypes of an unknown type',
    code: 'InvalidInstanceType',
    status: 400,
    message: /z9\.huge/,
    provoke: ({ client }) => client.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['z9.huge' as _InstanceType] })),
  },
];

/**
 * The conformance suite against one target. Instances it starts are tagged with a label unique to
 * the run and terminated at the end.
 */
export function conformanceSuite<T extends ConformanceTarget>(
  name: string,
  makeTarget: () => Promise<T>,
  extras: ConformanceExtras<T> = {},
): void {
  describe(`EC2 driver conformance: ${name}`, () => {
    let target: T | undefined;
    const label = `conformance-${process.pid}-${Date.now().toString(36)}`;
    const started = new Set<string>();
    const current = (): T => {
      if (!target) throw new Error(`conformance target ${name} did not start`);
      return target;
    };

    beforeAll(async () => {
      target = await makeTarget();
    });
    afterAll(async () => {
      if (!target) return;
      const ids = [...started];
      if (ids.length > 0) await target.client.send(new TerminateInstancesCommand({ InstanceIds: ids })).catch(() => undefined);
      await target.close();
    });

    /** RunInstances with the run's label; remembers what it started. */
    async function launch(count: number, purpose: string, extra: Partial<RunInstancesCommandInput> = {}): Promise<RunInstancesCommandOutput> {
      const t = current();
      const output = await t.client.send(
        new RunInstancesCommand({
          ImageId: t.imageId,
          InstanceType: t.instanceType as _InstanceType,
          MinCount: count,
          MaxCount: count,
          ClientToken: `${label}-${purpose}`,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'conformance-run', Value: label }, { Key: 'purpose', Value: purpose }] }],
          ...extra,
        }),
      );
      for (const instance of output.Instances ?? []) if (instance.InstanceId) started.add(instance.InstanceId);
      return output;
    }

    /** One pair of instances shared by the tests that only read. */
    let pair: Promise<RunInstancesCommandOutput> | undefined;
    const launchedPair = () => (pair ??= launch(2, 'pair'));

    it('RunInstances: reservation, owner, ids, state (name and code), type, image, private IP, launch time, placement, client token', async () => {
      const t = current();
      const output = await launchedPair();
      expect(output.$metadata.httpStatusCode).toBe(200);
      expect(output.$metadata.requestId).toEqual(expect.any(String));
      expect(output.ReservationId).toMatch(/^r-[0-9a-f]+$/);
      expect(output.OwnerId).toMatch(/^\d{12}$/);
      expect(output.Instances).toHaveLength(2);
      const zones = (await t.client.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones?.map((zone) => zone.ZoneName);
      for (const [index, instance] of (output.Instances ?? []).entries()) {
        expect(instance.InstanceId).toMatch(/^i-[0-9a-f]+$/);
        expect(instance.ImageId).toBe(t.imageId);
        expect(instance.InstanceType).toBe(t.instanceType);
        expect(instance.State).toEqual({ Code: 0, Name: 'pending' });
        expect(instance.PrivateIpAddress).toMatch(IPV4);
        expect(instance.LaunchTime).toBeInstanceOf(Date);
        expect(Number.isNaN(instance.LaunchTime?.getTime())).toBe(false);
        expect(instance.AmiLaunchIndex).toBe(index);
        expect(zones).toContain(instance.Placement?.AvailabilityZone);
        expect(instance.ClientToken).toBe(`${label}-pair`);
      }
      expect(new Set(output.Instances?.map((instance) => instance.InstanceId)).size).toBe(2);
    });

    it('DescribeInstances by id: the same instances, reservation and owner, with tags, IPs and launch time', async () => {
      const t = current();
      const run = await launchedPair();
      const ids = (run.Instances ?? []).map((instance) => instance.InstanceId as string);
      const output = await t.client.send(new DescribeInstancesCommand({ InstanceIds: ids }));
      expect(output.NextToken).toBeUndefined();
      expect(output.Reservations?.map((reservation) => [reservation.ReservationId, reservation.OwnerId])).toEqual([[run.ReservationId, run.OwnerId]]);
      const described = instancesOf(output);
      expect(described.map((instance) => instance.InstanceId).sort()).toEqual([...ids].sort());
      for (const instance of described) {
        const launched = run.Instances?.find((candidate) => candidate.InstanceId === instance.InstanceId);
        expectState(instance.State, ['pending', 'running']);
        expect(instance).toMatchObject({ ImageId: t.imageId, InstanceType: t.instanceType, PrivateIpAddress: launched?.PrivateIpAddress });
        expect(instance.LaunchTime).toEqual(launched?.LaunchTime);
        expect(instance.Placement?.AvailabilityZone).toBe(launched?.Placement?.AvailabilityZone);
        expect(tagsOf(instance)).toMatchObject({ 'conformance-run': label, purpose: 'pair' });
      }
    });

    it('DescribeInstances with a tag filter finds exactly the tagged instances', async () => {
      const t = current();
      const run = await launchedPair();
      const output = await t.client.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag:conformance-run', Values: [label] },
            { Name: 'tag:purpose', Values: ['pair'] },
          ],
        }),
      );
      expect(instancesOf(output).map((instance) => instance.InstanceId).sort()).toEqual(
        (run.Instances ?? []).map((instance) => instance.InstanceId).sort(),
      );
    });

    it('DescribeInstances with MaxResults: following NextToken yields every instance once', async () => {
      const t = current();
      const run = await launch(7, 'paging');
      const seen: string[] = [];
      let nextToken: string | undefined;
      for (let page = 0; page < 10; page++) {
        const output = await t.client.send(
          new DescribeInstancesCommand({
            MaxResults: 5,
            NextToken: nextToken,
            Filters: [
              { Name: 'tag:conformance-run', Values: [label] },
              { Name: 'tag:purpose', Values: ['paging'] },
            ],
          }),
        );
        seen.push(...instancesOf(output).map((instance) => instance.InstanceId as string));
        if (output.NextToken === undefined) break;
        expect(output.NextToken).toEqual(expect.stringMatching(/.+/));
        nextToken = output.NextToken;
      }
      expect(seen.sort()).toEqual((run.Instances ?? []).map((instance) => instance.InstanceId as string).sort());
    });

    it('CreateTags: accepted (HTTP 200), and the tags come back from DescribeInstances', async () => {
      const t = current();
      const run = await launchedPair();
      const id = run.Instances?.[0].InstanceId as string;
      const output = await t.client.send(
        new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'owner', Value: 'ada' }, { Key: 'purpose', Value: 'pair' }] }),
      );
      expect(output.$metadata.httpStatusCode).toBe(200);
      const [instance] = instancesOf(await t.client.send(new DescribeInstancesCommand({ InstanceIds: [id] })));
      expect(tagsOf(instance)).toMatchObject({ 'conformance-run': label, purpose: 'pair', owner: 'ada' });
    });

    it('DescribeImages: the image with its id, state, name, owner and architecture', async () => {
      const t = current();
      const output = await t.client.send(new DescribeImagesCommand({ ImageIds: [t.imageId] }));
      expect(output.Images).toHaveLength(1);
      const [image] = output.Images ?? [];
      expect(image.ImageId).toBe(t.imageId);
      expect(image.State).toBe('available');
      expect(image.Name).toEqual(expect.stringMatching(/.+/));
      expect(image.OwnerId).toMatch(/^\d{12}$/);
      expect(image.Architecture).toEqual(expect.stringMatching(/^(x86_64|arm64|i386|x86_64_mac|arm64_mac)$/));
      expect(typeof image.Public).toBe('boolean');
    });

    it('DescribeAvailabilityZones: zone names of the region, with RegionName and State', async () => {
      const t = current();
      const output = await t.client.send(new DescribeAvailabilityZonesCommand({}));
      expect(output.AvailabilityZones?.length).toBeGreaterThan(0);
      for (const zone of output.AvailabilityZones ?? []) {
        expect(zone.ZoneName?.startsWith(t.region)).toBe(true);
        expect(zone.RegionName).toBe(t.region);
        expect(zone.State).toBe('available');
      }
    });

    it('DescribeInstanceTypes: the instance type with its vCPUs and memory (and GPUs, where it has any)', async () => {
      const t = current();
      const output = await t.client.send(new DescribeInstanceTypesCommand({ InstanceTypes: [t.instanceType as _InstanceType] }));
      expect(output.InstanceTypes).toHaveLength(1);
      const [type] = output.InstanceTypes ?? [];
      expect(type.InstanceType).toBe(t.instanceType);
      expect(Number.isInteger(type.VCpuInfo?.DefaultVCpus)).toBe(true);
      expect(type.VCpuInfo?.DefaultVCpus).toBeGreaterThan(0);
      expect(Number.isInteger(type.MemoryInfo?.SizeInMiB)).toBe(true);
      expect(type.MemoryInfo?.SizeInMiB).toBeGreaterThan(0);
      for (const gpu of type.GpuInfo?.Gpus ?? []) expect(gpu.Count).toBeGreaterThan(0);
    });

    it('TerminateInstances: each instance with its previous and current state', async () => {
      const t = current();
      const run = await launch(2, 'terminate');
      const ids = (run.Instances ?? []).map((instance) => instance.InstanceId as string);
      const output = await t.client.send(new TerminateInstancesCommand({ InstanceIds: ids }));
      expect(output.TerminatingInstances?.map((change) => change.InstanceId).sort()).toEqual([...ids].sort());
      for (const change of output.TerminatingInstances ?? []) {
        expectState(change.PreviousState, ['pending', 'running']);
        expectState(change.CurrentState, ['shutting-down', 'terminated']);
      }
      for (const instance of instancesOf(await t.client.send(new DescribeInstancesCommand({ InstanceIds: ids })))) {
        expectState(instance.State, ['shutting-down', 'terminated']);
      }
    });

    const errors: Array<ProvokedError<T>> = [...SHARED_ERRORS, ...(extras.errors ?? [])];
    it.each(errors.map((row) => [row.what, row.code, row.status, row] as const))(
      'error: %s -> %s (HTTP %i) parses into a service exception',
      async (_what, code, status, row) => {
        const err = await serviceException(row.provoke(current()));
        expect(err.name).toBe(code);
        expect((err as EC2ServiceException & { Code?: unknown }).Code).toBe(code);
        expect(err.$metadata.httpStatusCode).toBe(status);
        expect(err.$fault).toBe(status >= 500 ? 'server' : 'client');
        expect(err.message).toMatch(row.message);
        expect(err.message).not.toBe('UnknownError');
        expect(err.$metadata.requestId).toEqual(expect.stringMatching(/.+/));
      },
    );

    extras.ownChecks?.(current);
  });
}

// ---------------------------------------------------------------------------------------------
// The emulator target

const IMAGE = 'ami-0c0f0e0a0b0d01234';
const REGION = 'eu-central-1';

interface EmulatorTarget extends ConformanceTarget {
  emulator: Ec2Emulator;
  clock: ManualClock;
  base: string;
  /** The main site; its instances share capacity with nothing else. */
  site: EmulatedSiteSpec;
  /** A client for another site, or with other credentials or settings. */
  clientFor(spec: EmulatedSiteSpec, config?: Partial<EC2ClientConfig>, path?: string): EC2Client;
}

const emulatedSite = (name: string, overrides: Partial<EmulatedSiteSpec> = {}): EmulatedSiteSpec => ({
  name,
  region: REGION,
  accessKeyId: `AKIA${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}CONFORM`,
  secretAccessKey: `conformance/${name}/wJalrXUtnFEMI`,
  availabilityZones: [`${REGION}a`, `${REGION}b`],
  instanceTypes: [
    { name: 'm5.large', vcpus: 2, memoryMiB: 8192 },
    { name: 'm5.xlarge', vcpus: 4, memoryMiB: 16384 },
    { name: 'c5.2xlarge', vcpus: 8, memoryMiB: 16384 },
    { name: 'r5.large', vcpus: 2, memoryMiB: 16384 },
    { name: 'g4dn.xlarge', vcpus: 4, memoryMiB: 16384, gpus: 1 },
    { name: 'p3.8xlarge', vcpus: 32, memoryMiB: 249856, gpus: 4 },
  ],
  images: [
    { imageId: IMAGE, name: 'rocky-9.4-x86_64' },
    { imageId: 'ami-0aaaaaaaaaaaaaaa1', name: 'ubuntu-24.04' },
  ],
  securityGroups: ['sg-0a1b2c3d', 'sg-0e5f6a7b'],
  subnets: ['subnet-0123abcd', 'subnet-0456cdef'],
  keyPairs: ['conformance-key'],
  pendingSeconds: 30,
  shuttingDownSeconds: 5,
  ...overrides,
});

const SITES = {
  main: emulatedSite('conf-main'),
  small: emulatedSite('conf-small', { capacity: { vcpus: 4, memoryMiB: 16384 } }),
  legacy: emulatedSite('conf-legacy', { compatibility: { tagSpecifications: false, describeInstanceTypes: false } }),
  faulty: emulatedSite('conf-faulty'),
};

async function emulatorTarget(): Promise<EmulatorTarget> {
  const clock = new ManualClock(new Date('2026-03-14T15:09:26.000Z'));
  const emulator = new Ec2Emulator({ clock });
  for (const spec of Object.values(SITES)) emulator.upsertSite(spec);
  const base = await emulator.listen(0);
  const clients: EC2Client[] = [];
  const clientFor = (spec: EmulatedSiteSpec, config: Partial<EC2ClientConfig> = {}, path = spec.name): EC2Client => {
    const client = new EC2Client({
      endpoint: `${base}/${path}`,
      region: spec.region,
      credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
      maxAttempts: 1,
      ...config,
    });
    clients.push(client);
    return client;
  };
  return {
    emulator,
    clock,
    base,
    site: SITES.main,
    clientFor,
    client: clientFor(SITES.main),
    region: REGION,
    imageId: IMAGE,
    instanceType: 'm5.large',
    close: async () => {
      for (const client of clients) client.destroy();
      await emulator.close();
    },
  };
}

const run = (client: EC2Client, input: Partial<RunInstancesCommandInput> = {}) =>
  client.send(new RunInstancesCommand({ ImageId: IMAGE, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, ...input }));

/** A call at the faulty site, with these faults set just before it. */
const withFaults =
  (faults: Parameters<Ec2Emulator['setFaults']>[1], call: (client: EC2Client) => Promise<unknown>) =>
  (t: EmulatorTarget): Promise<unknown> => {
    t.emulator.setFaults(SITES.faulty.name, faults);
    return call(t.clientFor(SITES.faulty));
  };

/** Every error the emulator answers, each provoked the way a client would meet it. */
const EMULATOR_ERRORS: Array<ProvokedError<EmulatorTarget>> = [
  // Requests EC2 would refuse.
  { what: 'RunInstances without ImageId', code: 'MissingParameter', status: 400, message: /ImageId/, provoke: (t) => t.client.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1 })) },
  { what: 'TerminateInstances without ids', code: 'MissingParameter', status: 400, message: /InstanceId/, provoke: (t) => t.client.send(new TerminateInstancesCommand({ InstanceIds: [] })) },
  { what: 'RunInstances of an unknown instance type', code: 'InvalidParameterValue', status: 400, message: /x9\.mega/, provoke: (t) => run(t.client, { InstanceType: 'x9.mega' as _InstanceType }) },
  { what: 'RunInstances with MinCount 0', code: 'InvalidParameterValue', status: 400, message: /MinCount/, provoke: (t) => run(t.client, { MinCount: 0 }) },
  { what: 'RunInstances with user data that is not base64', code: 'InvalidParameterValue', status: 400, message: /BASE64/, provoke: (t) => run(t.client, { UserData: 'not base64!' }) },
  { what: 'RunInstances tagging a resource type it cannot tag', code: 'InvalidParameterValue', status: 400, message: /image/, provoke: (t) => run(t.client, { TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'k', Value: 'v' }] }] }) },
  { what: 'DescribeInstances with MaxResults 4', code: 'InvalidParameterValue', status: 400, message: /MaxResults/, provoke: (t) => t.client.send(new DescribeInstancesCommand({ MaxResults: 4 })) },
  { what: 'DescribeInstances with a NextToken it never gave', code: 'InvalidParameterValue', status: 400, message: /nextToken/, provoke: (t) => t.client.send(new DescribeInstancesCommand({ NextToken: 'garbage' })) },
  { what: 'DescribeInstances with an unknown filter', code: 'InvalidParameterValue', status: 400, message: /colour/, provoke: (t) => t.client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })) },
  { what: 'DescribeAvailabilityZones of an unknown zone', code: 'InvalidParameterValue', status: 400, message: /nowhere-1z/, provoke: (t) => t.client.send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['nowhere-1z'] })) },
  { what: "CreateTags with a reserved 'aws:' key", code: 'InvalidParameterValue', status: 400, message: /aws:/, provoke: (t) => t.client.send(new CreateTagsCommand({ Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'aws:owner', Value: 'x' }] })) },
  { what: 'DescribeInstances with ids and MaxResults', code: 'InvalidParameterCombination', status: 400, message: /maxResults/, provoke: (t) => t.client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'], MaxResults: 5 })) },
  { what: 'RunInstances with a network interface and instance-level groups', code: 'InvalidParameterCombination', status: 400, message: /security groups/, provoke: (t) => run(t.client, { SecurityGroupIds: ['sg-0a1b2c3d'], NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0123abcd' }] }) },
  { what: 'RunInstances with two network interfaces', code: 'Unsupported', status: 400, message: /one network interface/, provoke: (t) => run(t.client, { NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0123abcd' }, { DeviceIndex: 1, SubnetId: 'subnet-0123abcd' }] }) },
  { what: 'RunInstances of an unknown image', code: 'InvalidAMIID.NotFound', status: 400, message: /ami-00000000000000bad/, provoke: (t) => run(t.client, { ImageId: 'ami-00000000000000bad' }) },
  { what: 'RunInstances of an image id that is none', code: 'InvalidAMIID.Malformed', status: 400, message: /rocky-9/, provoke: (t) => run(t.client, { ImageId: 'rocky-9' }) },
  { what: 'TerminateInstances of a malformed id', code: 'InvalidInstanceID.Malformed', status: 400, message: /i-xyz/, provoke: (t) => t.client.send(new TerminateInstancesCommand({ InstanceIds: ['i-xyz'] })) },
  { what: 'CreateTags on an unknown instance', code: 'InvalidInstanceID.NotFound', status: 400, message: /i-0000000000000000a/, provoke: (t) => t.client.send(new CreateTagsCommand({ Resources: ['i-0000000000000000a'], Tags: [{ Key: 'k', Value: 'v' }] })) },
  { what: 'CreateTags on a resource that is no instance', code: 'InvalidID', status: 400, message: /vol-0123/, provoke: (t) => t.client.send(new CreateTagsCommand({ Resources: ['vol-0123'], Tags: [{ Key: 'k', Value: 'v' }] })) },
  {
    what: 'CreateTags beyond 50 tags',
    code: 'TagLimitExceeded',
    status: 400,
    message: /\(50\)/,
    provoke: async (t) => {
      const id = (await run(t.client)).Instances?.[0].InstanceId as string;
      const tags = Array.from({ length: 51 }, (_, index) => ({ Key: `k${index}`, Value: 'v' }));
      return t.client.send(new CreateTagsCommand({ Resources: [id], Tags: tags }));
    },
  },
  {
    what: 'RunInstances reusing a ClientToken with other parameters',
    code: 'IdempotentParameterMismatch',
    status: 400,
    message: /inconsistent/,
    provoke: async (t) => {
      await run(t.client, { ClientToken: 'conformance-mismatch' });
      return run(t.client, { ClientToken: 'conformance-mismatch', MaxCount: 2 });
    },
  },
  { what: 'RunInstances with an unknown security group', code: 'InvalidGroup.NotFound', status: 400, message: /sg-0ffffff/, provoke: (t) => run(t.client, { SecurityGroupIds: ['sg-0ffffff'] }) },
  { what: 'RunInstances with an unknown subnet', code: 'InvalidSubnetID.NotFound', status: 400, message: /subnet-0ffffff/, provoke: (t) => run(t.client, { SubnetId: 'subnet-0ffffff' }) },
  { what: 'RunInstances with an unknown key pair', code: 'InvalidKeyPair.NotFound', status: 400, message: /lost-key/, provoke: (t) => run(t.client, { KeyName: 'lost-key' }) },
  // The emulator's capacity error from its own limits: HTTP 500, as EC2 sends it.
  { what: 'RunInstances beyond the site capacity', code: 'InsufficientInstanceCapacity', status: 500, message: /m5\.xlarge capacity/, provoke: (t) => run(t.clientFor(SITES.small), { InstanceType: 'm5.xlarge' as _InstanceType, MinCount: 2, MaxCount: 2 }) },
  {
    what: 'RunInstances asking for more public addresses than the site has',
    code: 'InsufficientAddressCapacity',
    status: 500,
    message: /addresses/,
    provoke: (t) => run(t.client, { MinCount: 763, MaxCount: 763, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0123abcd', AssociatePublicIpAddress: true }] }),
  },
  // Sites lacking EC2 features.
  { what: 'RunInstances with TagSpecifications at a site without them', code: 'UnknownParameter', status: 400, message: /TagSpecification\.1\.ResourceType/, provoke: (t) => run(t.clientFor(SITES.legacy), { TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'k', Value: 'v' }] }] }) },
  { what: 'DescribeInstanceTypes at a site without it', code: 'InvalidAction', status: 400, message: /DescribeInstanceTypes/, provoke: (t) => t.clientFor(SITES.legacy).send(new DescribeInstanceTypesCommand({})) },
  // Authentication and addressing.
  { what: 'a wrong secret', code: 'AuthFailure', status: 401, message: /credentials/, provoke: (t) => t.clientFor({ ...SITES.main, secretAccessKey: 'not-the-secret' }).send(new DescribeInstancesCommand({})) },
  { what: 'an unknown access key', code: 'AuthFailure', status: 401, message: /credentials/, provoke: (t) => t.clientFor({ ...SITES.main, accessKeyId: 'AKIANOBODY0000000000' }).send(new DescribeInstancesCommand({})) },
  { what: 'a request signed for another region', code: 'AuthFailure', status: 401, message: /region/, provoke: (t) => t.clientFor({ ...SITES.main, region: 'us-west-1' }).send(new DescribeInstancesCommand({})) },
  { what: 'a request signed 20 minutes ago', code: 'RequestExpired', status: 400, message: /expired/, provoke: (t) => t.clientFor(SITES.main, { systemClockOffset: -20 * 60 * 1000 }).send(new DescribeInstancesCommand({})) },
  { what: 'a site the emulator does not serve', code: 'NotFound', status: 404, message: /nowhere/, provoke: (t) => t.clientFor(SITES.main, {}, 'nowhere').send(new DescribeInstancesCommand({})) },
  { what: 'a request body over 1 MiB', code: 'RequestEntityTooLarge', status: 413, message: /too large/, provoke: (t) => run(t.client, { UserData: 'A'.repeat(1_100_000) }) },
  // Injected faults: every code the fault table knows, one it does not, and a 503 burst.
  ...(
    [
      ['InternalError', 500, /internal error/],
      ['InternalFailure', 500, /unknown error/],
      ['Unavailable', 503, /overloaded/],
      ['ServiceUnavailable', 503, /temporary failure/],
      ['RequestLimitExceeded', 503, /Request limit exceeded/],
      ['InsufficientInstanceCapacity', 500, /sufficient capacity/],
      ['InsufficientCapacity', 500, /not enough capacity/],
      ['InsufficientAddressCapacity', 500, /addresses/],
      ['AuthFailure', 401, /credentials/],
      ['UnauthorizedOperation', 403, /not authorized/],
      ['VcpuLimitExceeded', 400, /VcpuLimitExceeded/],
    ] as const
  ).map(([code, status, message]): ProvokedError<EmulatorTarget> => ({
    what: `failNext ${code}`,
    code,
    status,
    message,
    provoke: withFaults({ failNext: { count: 1, code } }, (client) => run(client)),
  })),
  { what: 'errorRate 1 (default code)', code: 'InternalError', status: 500, message: /internal error/, provoke: withFaults({ errorRate: 1 }, (client) => client.send(new DescribeInstancesCommand({}))) },
  { what: 'unavailableBurst', code: 'Unavailable', status: 503, message: /overloaded/, provoke: withFaults({ unavailableBurst: 1 }, (client) => client.send(new DescribeAvailabilityZonesCommand({}))) },
];

/** Assertions that hold only for the emulator as set up above. */
function emulatorChecks(target: () => EmulatorTarget): void {
  describe('emulator only', () => {
    it('RunInstances: every field the emulator sends, as the SDK parses it', async () => {
      const t = target();
      const output = await run(t.client, {
        MinCount: 2,
        MaxCount: 2,
        ClientToken: 'emulator-fields',
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'a<b>&"c\'' }, { Key: 'empty', Value: '' }] }],
      });
      expect(output.Groups).toEqual([]);
      expect(output.OwnerId).toMatch(/^\d{12}$/);
      expect(output.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
      const [first, second] = output.Instances ?? [];
      expect(first).toEqual({
        InstanceId: expect.stringMatching(/^i-[0-9a-f]{17}$/),
        ImageId: IMAGE,
        State: { Code: 0, Name: 'pending' },
        PrivateDnsName: `ip-${first.PrivateIpAddress?.replace(/\./g, '-')}.${REGION}.compute.internal`,
        PublicDnsName: '',
        StateTransitionReason: '',
        AmiLaunchIndex: 0,
        ProductCodes: [],
        InstanceType: 'm5.large',
        LaunchTime: t.clock.now(),
        Placement: { AvailabilityZone: `${REGION}a`, GroupName: '', Tenancy: 'default' },
        Monitoring: { State: 'disabled' },
        PrivateIpAddress: expect.stringMatching(/^127\.\d+\.\d+\.\d+$/),
        SecurityGroups: [],
        StateReason: { Code: 'pending', Message: 'pending' },
        Architecture: 'x86_64',
        RootDeviceType: 'ebs',
        RootDeviceName: '/dev/sda1',
        BlockDeviceMappings: [],
        VirtualizationType: 'hvm',
        ClientToken: 'emulator-fields',
        Tags: [
          { Key: 'team', Value: 'a<b>&"c\'' },
          { Key: 'empty', Value: '' },
        ],
        Hypervisor: 'xen',
        NetworkInterfaces: [],
        EbsOptimized: false,
        CpuOptions: { CoreCount: 2, ThreadsPerCore: 1 },
      });
      expect(second.AmiLaunchIndex).toBe(1);
      expect(second.PrivateIpAddress).not.toBe(first.PrivateIpAddress);
      // Idempotent on the ClientToken: the same reservation and instances again.
      const again = await run(t.client, {
        MinCount: 2,
        MaxCount: 2,
        ClientToken: 'emulator-fields',
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'a<b>&"c\'' }, { Key: 'empty', Value: '' }] }],
      });
      expect(again.ReservationId).toBe(output.ReservationId);
      expect(again.Instances?.map((instance) => instance.InstanceId)).toEqual(output.Instances?.map((instance) => instance.InstanceId));
    });

    it('DescribeInstances: pending becomes running (code 16) as the clock moves, and the state reason goes', async () => {
      const t = target();
      const id = (await run(t.client, { ClientToken: 'emulator-lifecycle' })).Instances?.[0].InstanceId as string;
      t.clock.advance(30_000);
      const [instance] = instancesOf(await t.client.send(new DescribeInstancesCommand({ InstanceIds: [id] })));
      expect(instance.State).toEqual({ Code: 16, Name: 'running' });
      expect(instance.StateReason).toBeUndefined();
      expect(instance.LaunchTime).toEqual(new Date(t.clock.now().getTime() - 30_000));
    });

    it('network settings: security groups, subnet and key name; a public IP on the network interface', async () => {
      const t = target();
      const plain = await run(t.client, { SecurityGroupIds: ['sg-0a1b2c3d', 'sg-0e5f6a7b'], SubnetId: 'subnet-0123abcd', KeyName: 'conformance-key' });
      expect(plain.Instances?.[0]).toMatchObject({
        SecurityGroups: [{ GroupId: 'sg-0a1b2c3d' }, { GroupId: 'sg-0e5f6a7b' }],
        SubnetId: 'subnet-0123abcd',
        KeyName: 'conformance-key',
      });
      expect(plain.Instances?.[0].PublicIpAddress).toBeUndefined();

      const publicOne = await run(t.client, {
        KeyName: 'conformance-key',
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0456cdef', Groups: ['sg-0e5f6a7b'], AssociatePublicIpAddress: true }],
      });
      const launched = publicOne.Instances?.[0];
      expect(launched).toMatchObject({ SubnetId: 'subnet-0456cdef', KeyName: 'conformance-key', SecurityGroups: [{ GroupId: 'sg-0e5f6a7b' }] });
      expect(launched?.PublicIpAddress).toMatch(/^127\.\d+\.\d+\.\d+$/);

      const described = instancesOf(
        await t.client.send(new DescribeInstancesCommand({ InstanceIds: [plain.Instances?.[0].InstanceId as string, launched?.InstanceId as string] })),
      );
      expect(described.map((instance) => [instance.SubnetId, instance.KeyName, instance.PublicIpAddress, instance.SecurityGroups?.map((group) => group.GroupId)])).toEqual([
        ['subnet-0123abcd', 'conformance-key', undefined, ['sg-0a1b2c3d', 'sg-0e5f6a7b']],
        ['subnet-0456cdef', 'conformance-key', launched?.PublicIpAddress, ['sg-0e5f6a7b']],
      ]);
    });

    it('DescribeInstances pages: exactly MaxResults per page, a NextToken string until the last page, one reservation item per run', async () => {
      const t = target();
      const client = t.clientFor(SITES.legacy); // a site with no other instances
      const first = await run(client, { MinCount: 8, MaxCount: 8, ClientToken: 'paging-a' });
      const second = await run(client, { MinCount: 4, MaxCount: 4, ClientToken: 'paging-b' });
      const pages: Array<{ reservations: Array<[string | undefined, number]>; nextToken?: string }> = [];
      let nextToken: string | undefined;
      do {
        const output = await client.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: nextToken }));
        pages.push({
          reservations: (output.Reservations ?? []).map((reservation) => [reservation.ReservationId, reservation.Instances?.length ?? 0]),
          nextToken: output.NextToken,
        });
        nextToken = output.NextToken;
      } while (nextToken !== undefined && pages.length < 10);
      expect(pages).toEqual([
        { reservations: [[first.ReservationId, 5]], nextToken: expect.stringMatching(/.+/) },
        { reservations: [[first.ReservationId, 3], [second.ReservationId, 2]], nextToken: expect.stringMatching(/.+/) },
        { reservations: [[second.ReservationId, 2]], nextToken: undefined },
      ]);
      expect(pages[0].reservations[0][0]).toBe(first.ReservationId);
    });

    it('CreateTags: overwrites a key, keeps the others, and markup survives the round trip', async () => {
      const t = target();
      const id = (await run(t.client, { TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }] }))
        .Instances?.[0].InstanceId as string;
      await t.client.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'b', Value: '<two> & "2"' }, { Key: 'c', Value: '3' }] }));
      const [instance] = instancesOf(await t.client.send(new DescribeInstancesCommand({ InstanceIds: [id] })));
      expect(instance.Tags).toEqual([
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '<two> & "2"' },
        { Key: 'c', Value: '3' },
      ]);
    });

    it('DescribeImages: every field of the site image, owned by the account of its reservations', async () => {
      const t = target();
      const owner = (await run(t.client)).OwnerId;
      const output = await t.client.send(new DescribeImagesCommand({ Owners: ['self'] }));
      expect(output.Images?.map((image) => image.ImageId)).toEqual([IMAGE, 'ami-0aaaaaaaaaaaaaaa1']);
      expect(output.Images?.[0]).toEqual({
        ImageId: IMAGE,
        ImageLocation: `${owner}/rocky-9.4-x86_64`,
        State: 'available',
        OwnerId: owner,
        CreationDate: '2026-01-01T00:00:00.000Z',
        Public: true,
        Architecture: 'x86_64',
        ImageType: 'machine',
        Name: 'rocky-9.4-x86_64',
        Description: 'rocky-9.4-x86_64',
        RootDeviceType: 'ebs',
        RootDeviceName: '/dev/sda1',
        BlockDeviceMappings: [],
        VirtualizationType: 'hvm',
        Hypervisor: 'xen',
        EnaSupport: true,
      });
      const byName = await t.client.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['ubuntu-*'] }] }));
      expect(byName.Images?.map((image) => image.ImageId)).toEqual(['ami-0aaaaaaaaaaaaaaa1']);
    });

    it('DescribeAvailabilityZones: every field of each zone', async () => {
      const t = target();
      const output = await t.client.send(new DescribeAvailabilityZonesCommand({}));
      expect(output.AvailabilityZones).toEqual(
        ['a', 'b'].map((letter, index) => ({
          ZoneName: `${REGION}${letter}`,
          State: 'available',
          RegionName: REGION,
          ZoneId: `eucentral1-az${index + 1}`,
          ZoneType: 'availability-zone',
          OptInStatus: 'opt-in-not-required',
          GroupName: REGION,
          NetworkBorderGroup: REGION,
          Messages: [],
        })),
      );
    });

    it('DescribeInstanceTypes: vCPUs, memory and GPUs of every type, paged by MaxResults', async () => {
      const t = target();
      const all = await t.client.send(new DescribeInstanceTypesCommand({}));
      expect(all.NextToken).toBeUndefined();
      expect(
        all.InstanceTypes?.map((type) => [type.InstanceType, type.VCpuInfo?.DefaultVCpus, type.MemoryInfo?.SizeInMiB, type.GpuInfo?.Gpus?.map((gpu) => gpu.Count)]),
      ).toEqual(SITES.main.instanceTypes.map((type) => [type.name, type.vcpus, type.memoryMiB, type.gpus ? [type.gpus] : undefined]));
      expect(all.InstanceTypes?.[5]).toMatchObject({
        VCpuInfo: { DefaultVCpus: 32, DefaultCores: 32, DefaultThreadsPerCore: 1 },
        ProcessorInfo: { SupportedArchitectures: ['x86_64'] },
        SupportedUsageClasses: ['on-demand'],
        CurrentGeneration: true,
        BareMetal: false,
      });

      const first = await t.client.send(new DescribeInstanceTypesCommand({ MaxResults: 5 }));
      expect(first.InstanceTypes).toHaveLength(5);
      expect(first.NextToken).toEqual(expect.stringMatching(/.+/));
      const rest = await t.client.send(new DescribeInstanceTypesCommand({ MaxResults: 5, NextToken: first.NextToken }));
      expect(rest.InstanceTypes?.map((type) => type.InstanceType)).toEqual(['p3.8xlarge']);
      expect(rest.NextToken).toBeUndefined();
    });

    it('TerminateInstances: pending (0) -> shutting-down (32), then terminated (48) without a private address', async () => {
      const t = target();
      const id = (await run(t.client, { ClientToken: 'emulator-terminate' })).Instances?.[0].InstanceId as string;
      const output = await t.client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      expect(output.TerminatingInstances).toEqual([
        { InstanceId: id, CurrentState: { Code: 32, Name: 'shutting-down' }, PreviousState: { Code: 0, Name: 'pending' } },
      ]);
      const repeated = await t.client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      expect(repeated.TerminatingInstances?.[0]).toMatchObject({ CurrentState: { Code: 32 }, PreviousState: { Code: 32 } });

      t.clock.advance(5_000);
      const [instance] = instancesOf(await t.client.send(new DescribeInstancesCommand({ InstanceIds: [id] })));
      expect(instance.State).toEqual({ Code: 48, Name: 'terminated' });
      expect(instance.PrivateIpAddress).toBeUndefined();
      expect(instance.StateReason).toEqual({ Code: 'Client.UserInitiatedShutdown', Message: 'Client.UserInitiatedShutdown: User initiated shutdown' });
      expect(instance.StateTransitionReason).toMatch(/^User initiated \(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} GMT\)$/);
    });

    it('error answers carry the request id the emulator sent in x-amzn-requestid', async () => {
      const t = target();
      const err = await serviceException(t.client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000000c'] })));
      expect(err.$metadata.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    // What the EC2 driver classifies as a malformed reply (ec2-errors.ts): the call may have done its work.
    it('a RunInstances answer the SDK cannot parse (malformedRunReply): HTTP 200, and a deserialisation error that is no service exception', async () => {
      const t = target();
      t.emulator.setFaults(SITES.faulty.name, { malformedRunReply: true });
      const client = t.clientFor(SITES.faulty);
      let thrown: unknown;
      try {
        await run(client, { TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'dialect', Value: 'old' }] }] });
      } catch (err) {
        thrown = err;
      } finally {
        t.emulator.setFaults(SITES.faulty.name, {});
      }
      const err = thrown as Error & { $metadata?: { httpStatusCode?: number }; $fault?: unknown; $response?: { statusCode?: number } };
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(EC2ServiceException);
      expect(err.$fault).toBeUndefined();
      expect(err.$metadata?.httpStatusCode).toBe(200);
      expect(err.$response?.statusCode).toBe(200); // the raw answer, kept on a hidden field
      expect(Object.keys(err)).not.toContain('$response');
      expect(err.message).toMatch(/unhandled schema type for InstanceId\n {2}Deserialization error: to see the raw response, inspect the hidden field \{error\}\.\$response/);
      // the instance started and is tagged all the same
      const found = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:dialect', Values: ['old'] }] }));
      expect(found.Reservations?.flatMap((r) => r.Instances ?? [])).toHaveLength(1);
    });

    // It matters: the SDK retries 5xx answers, so a driver with maxAttempts > 1 must meet the
    // emulator's own capacity limit as it would meet EC2's (and the injected fault).
    it('capacity running out answers HTTP 500, like EC2 and like the injected InsufficientInstanceCapacity fault', async () => {
      const t = target();
      const err = await serviceException(run(t.clientFor(SITES.small), { InstanceType: 'c5.2xlarge' as _InstanceType }));
      expect(err.name).toBe('InsufficientInstanceCapacity');
      expect(err.$metadata.httpStatusCode).toBe(500);
    });
  });
}

conformanceSuite('the bundled emulator', emulatorTarget, { errors: EMULATOR_ERRORS, ownChecks: emulatorChecks });

// ---------------------------------------------------------------------------------------------
// Another EC2-compatible endpoint, when one is named in the environment

const ENV = 'SKYPOOL_CONFORMANCE';
const endpoint = process.env[`${ENV}_ENDPOINT`];
if (endpoint) {
  conformanceSuite(endpoint, async () => {
    const setting = (name: string, fallback?: string): string => {
      const value = process.env[`${ENV}_${name}`] ?? fallback;
      if (!value) throw new Error(`${ENV}_ENDPOINT is set, so ${ENV}_${name} must be set too`);
      return value;
    };
    const region = setting('REGION', 'us-east-1');
    const client = new EC2Client({
      endpoint,
      region,
      credentials: { accessKeyId: setting('ACCESS_KEY_ID'), secretAccessKey: setting('SECRET_ACCESS_KEY') },
      maxAttempts: 1,
    });
    return {
      client,
      region,
      imageId: setting('IMAGE_ID'),
      instanceType: setting('INSTANCE_TYPE', 't3.micro'),
      close: async () => client.destroy(),
    };
  });
}
