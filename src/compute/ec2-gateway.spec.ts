import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll, jest } from '@jest/globals';
import { ManualClock } from '../common/clock.js';
import {
  ComputeError,
  type ComputeDriver,
  type ComputeErrorCategory,
  type RunInstancesInput,
  type SiteConnection,
} from './compute-driver.js';
import { Ec2DriverFactory, type Ec2DriverOptions } from './ec2-driver.js';
import { Ec2Emulator, type EmulatedSiteSpec } from './emulator/index.js';

/**
 * The gateway's test suite: the EC2 driver (as Ec2DriverFactory makes it, on the real
 * @aws-sdk/client-ec2) over real HTTP against the bundled emulator. Every error category is
 * provoked the way a site would produce it, and every fault the emulator can inject is shown
 * from the broker's side: what the driver throws, and what is left behind at the site.
 *
 * Times: only lower bounds are asserted (the machine is shared); upper bounds would be flaky.
 */

const IMAGE = 'ami-0f1e2d3c4b5a69788';
const REGION = 'eu-north-1';

const siteSpec = (name: string, overrides: Partial<EmulatedSiteSpec> = {}): EmulatedSiteSpec => ({
  name,
  region: REGION,
  accessKeyId: `AKIA${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}GATEWAY`,
  secretAccessKey: `gateway-secret/${name}/K7MDENG+bPxRfiCY`,
  availabilityZones: [`${REGION}a`, `${REGION}b`, `${REGION}c`],
  instanceTypes: [
    { name: 'm5.large', vcpus: 2, memoryMiB: 8192 },
    { name: 'c5.xlarge', vcpus: 4, memoryMiB: 8192 },
    { name: 'g4dn.xlarge', vcpus: 4, memoryMiB: 16384, gpus: 1 },
  ],
  images: [{ imageId: IMAGE, name: 'alma-9' }],
  pendingSeconds: 30,
  ...overrides,
});

const connectionFor = (base: string, spec: EmulatedSiteSpec, overrides: Partial<SiteConnection> = {}): SiteConnection => ({
  siteKey: spec.name,
  endpoint: `${base}/${spec.name}`,
  region: spec.region,
  accessKeyId: spec.accessKeyId,
  secretAccessKey: spec.secretAccessKey,
  ...overrides,
});

const runInput = (clientToken: string, overrides: Partial<RunInstancesInput> = {}): RunInstancesInput => ({
  clientToken,
  imageId: IMAGE,
  instanceType: 'm5.large',
  minCount: 1,
  maxCount: 1,
  tags: { 'skypool:request': clientToken },
  ...overrides,
});

/** The call must fail with a ComputeError; returns it. */
async function computeError(call: Promise<unknown>): Promise<ComputeError> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (err) {
    expect(err).toBeInstanceOf(ComputeError);
    return err as ComputeError;
  }
  throw new Error(`expected a ComputeError, but the call succeeded with ${JSON.stringify(outcome)}`);
}

/** The call must fail with a ComputeError of this category and code; returns it. */
async function expectFailure(call: Promise<unknown>, category: ComputeErrorCategory, code: string | RegExp): Promise<ComputeError> {
  const err = await computeError(call);
  expect({ category: err.category, code: err.code }).toEqual({ category, code: typeof code === 'string' ? code : expect.stringMatching(code) });
  expect(err.name).toBe('ComputeError');
  expect(err.message.length).toBeGreaterThan(0);
  return err;
}

/**
 * The code of a connection the site closed without an answer (a site that is down, a lost reply).
 * Outside Jest the driver says NETWORK (ECONNRESET). Under Jest's VM modules the SDK wraps Node's
 * error as "AWS SDK error wrapper for TimeoutError: socket hang up" (the SDK names ECONNRESET a
 * TimeoutError) and the code is lost, so the driver says TIMEOUT; see the it.failing below.
 * Either way the category is transient, which is what the provisioner acts on.
 */
const CONNECTION_LOST = /^(NETWORK|TIMEOUT)$/;

/** A port on which nothing listens (bound, then closed again). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One EC2 call as the site received it. */
interface SeenCall {
  action: string;
  params: URLSearchParams;
}

/** An HTTP server in front of the emulator that records every call it passes on. */
async function recordingProxy(emulator: Ec2Emulator): Promise<{ url: string; calls: SeenCall[]; close: () => Promise<void> }> {
  const calls: SeenCall[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const params = new URLSearchParams(body.toString('utf8'));
      calls.push({ action: params.get('Action') ?? '', params });
      // The emulator takes an already-read body as a Buffer in req.body.
      Object.assign(req, { body });
      emulator.handle(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const sentTagSpecifications = (call: SeenCall): boolean => [...call.params.keys()].some((key) => key.startsWith('TagSpecification.'));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (generously: this is no timing assertion) until the condition holds. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 20_000; waited += 20) {
    if (condition()) return;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('EC2 gateway: Ec2Driver over HTTP against the emulator', () => {
  const clock = new ManualClock();
  /** What the emulator's `random` hands out next; once empty, 0.99 (no error at any rate below 1). */
  const rolls: number[] = [];
  const emulator = new Ec2Emulator({ clock, random: () => rolls.shift() ?? 0.99 });
  const factories: Ec2DriverFactory[] = [];
  const proxies: Array<{ close: () => Promise<void> }> = [];
  let base: string;

  beforeAll(async () => {
    base = await emulator.listen(0);
  });
  afterAll(async () => {
    for (const factory of factories) factory.destroy();
    for (const proxy of proxies) await proxy.close();
    await emulator.close();
  });

  /** Adds (or updates) the site at the emulator and returns a driver for it from a fresh factory. */
  function gateway(
    spec: EmulatedSiteSpec,
    options: Ec2DriverOptions = {},
    connection: Partial<SiteConnection> = {},
  ): ComputeDriver {
    emulator.upsertSite(spec);
    const factory = new Ec2DriverFactory({ maxAttempts: 1, connectionTimeoutMs: 2000, requestTimeoutMs: 10_000, ...options });
    factories.push(factory);
    return factory.forSite(connectionFor(base, spec, connection));
  }

  /** Like gateway(), but the driver talks to the site through a recording proxy. */
  async function recordedGateway(spec: EmulatedSiteSpec, options: Ec2DriverOptions = {}) {
    const proxy = await recordingProxy(emulator);
    proxies.push(proxy);
    return { driver: gateway(spec, options, { endpoint: `${proxy.url}/${spec.name}` }), calls: proxy.calls };
  }

  describe('every error category, as the driver surfaces it', () => {
    describe('capacity', () => {
      it('InsufficientInstanceCapacity from the site running out (memory, GPUs), and capacity given back by terminating', async () => {
        const spec = siteSpec('cap-real', { capacity: { vcpus: 8, memoryMiB: 24576 } });
        const driver = gateway(spec);

        // Starts as many as fit up to maxCount: 8 vCPUs / 2 = 4, but memory 24576 / 8192 = 3.
        const started = await driver.runInstances(runInput('cap-1', { minCount: 1, maxCount: 5 }));
        expect(started).toHaveLength(3);

        const full = await expectFailure(driver.runInstances(runInput('cap-2')), 'capacity', 'InsufficientInstanceCapacity');
        expect(full.message).toContain('no capacity for this instance type');
        expect(full.message).toContain('RunInstances at site cap-real');
        expect(full.startedInstances).toEqual([]);
        expect(emulator.instances('cap-real')).toHaveLength(3);

        await driver.terminateInstances([started[0].siteInstanceId]);
        const after = await driver.runInstances(runInput('cap-3'));
        expect(after).toHaveLength(1);

        // A GPU limit: one GPU at a site with vCPUs and memory to spare.
        const gpuDriver = gateway(siteSpec('cap-gpu', { capacity: { vcpus: 64, memoryMiB: 1 << 20, gpus: 1 } }));
        await gpuDriver.runInstances(runInput('cap-gpu-1', { instanceType: 'g4dn.xlarge' }));
        await expectFailure(
          gpuDriver.runInstances(runInput('cap-gpu-2', { instanceType: 'g4dn.xlarge' })),
          'capacity',
          'InsufficientInstanceCapacity',
        );
        // ...while an instance type without GPUs still fits.
        await expect(gpuDriver.runInstances(runInput('cap-cpu', { instanceType: 'c5.xlarge' }))).resolves.toHaveLength(1);
      });

      it('InsufficientInstanceCapacity when fewer than minCount fit: nothing is started', async () => {
        const driver = gateway(siteSpec('cap-min', { capacity: { vcpus: 6, memoryMiB: 1 << 20, instances: 2 } }));
        await expectFailure(driver.runInstances(runInput('min-3', { minCount: 3, maxCount: 3 })), 'capacity', 'InsufficientInstanceCapacity');
        expect(emulator.instances('cap-min')).toHaveLength(0);
        // The instance limit (2) is below the vCPU limit (3).
        expect(await driver.runInstances(runInput('min-1', { minCount: 1, maxCount: 3 }))).toHaveLength(2);
      });

      it.each([
        ['InstanceLimitExceeded'],
        ['VcpuLimitExceeded'],
        ['InsufficientCapacity'],
        ['InsufficientHostCapacity'],
        ['InsufficientInstanceCapacity'],
      ])('%s (failNext) is capacity, and the next call succeeds', async (code) => {
        const name = `cap-fault-${code.toLowerCase()}`;
        const driver = gateway(siteSpec(name, { faults: { failNext: { count: 1, code } } }));
        const err = await expectFailure(driver.runInstances(runInput(`${name}-1`)), 'capacity', code);
        expect(err.message).toContain(`(${code}, HTTP `);
        expect(emulator.instances(name)).toHaveLength(0);
        expect(await driver.runInstances(runInput(`${name}-1`))).toHaveLength(1);
      });

      it('even with maxAttempts > 1, RunInstances is sent once: a capacity error sent as HTTP 500 (as EC2 sends it) reaches the driver', async () => {
        const { driver, calls } = await recordedGateway(
          siteSpec('cap-sdk-retry', { faults: { failNext: { count: 1, code: 'InsufficientInstanceCapacity' } } }),
          { maxAttempts: 3 },
        );
        const err = await expectFailure(driver.runInstances(runInput('sdk-retry')), 'capacity', 'InsufficientInstanceCapacity');
        expect(err.message).toContain('(InsufficientInstanceCapacity, HTTP 500)');
        expect(calls.map((call) => [call.action, call.params.get('ClientToken')])).toEqual([['RunInstances', 'sdk-retry']]);
        expect(emulator.instances('cap-sdk-retry')).toHaveLength(0);
        expect(await driver.runInstances(runInput('sdk-retry'))).toHaveLength(1);
      });

      it('typeCapacity: at most that many instances of the type at once; other types, and terminating, are not held back', async () => {
        const driver = gateway(siteSpec('cap-type', { typeCapacity: { 'c5.xlarge': 2 } }));
        const started = await driver.runInstances(runInput('type-1', { instanceType: 'c5.xlarge', minCount: 1, maxCount: 3 }));
        expect(started).toHaveLength(2);
        const full = await expectFailure(driver.runInstances(runInput('type-2', { instanceType: 'c5.xlarge' })), 'capacity', 'InsufficientInstanceCapacity');
        expect(full.message).toContain('(InsufficientInstanceCapacity, HTTP 500)');
        expect(emulator.instances('cap-type')).toHaveLength(2);
        await expect(driver.runInstances(runInput('type-3', { instanceType: 'm5.large', minCount: 3, maxCount: 3 }))).resolves.toHaveLength(3);

        await driver.terminateInstances([started[0].siteInstanceId]);
        await expect(driver.runInstances(runInput('type-4', { instanceType: 'c5.xlarge' }))).resolves.toHaveLength(1);
        // A limit on a type the site does not offer is a mistake, not a setting to ignore.
        expect(() => emulator.upsertSite(siteSpec('cap-type-typo', { typeCapacity: { 'c5.xlarg': 2 } }))).toThrow('typeCapacity.c5.xlarg: not one of');
      });

      // Sent with HTTP 500: without its own rule it would read as transient and the site be retried.
      it('InsufficientAddressCapacity from the site running out of public addresses is capacity', async () => {
        const driver = gateway(siteSpec('cap-addresses'));
        // The emulator hands out 3 x 254 documentation-range addresses; one more than that cannot fit.
        const network = { securityGroupIds: [], subnetId: 'subnet-0aa', keyName: null, associatePublicIp: true };
        const err = await computeError(driver.runInstances(runInput('addr', { minCount: 763, maxCount: 763, network })));
        expect(err.code).toBe('InsufficientAddressCapacity');
        expect(emulator.instances('cap-addresses')).toHaveLength(0);
        expect(err.category).toBe('capacity');
      });
    });

    describe('throttling', () => {
      it('RequestLimitExceeded (HTTP 503) is throttling for every operation', async () => {
        const driver = gateway(siteSpec('throttle', { faults: { failNext: { count: 5, code: 'RequestLimitExceeded' } } }));
        const errors = [
          await expectFailure(driver.runInstances(runInput('throttled')), 'throttling', 'RequestLimitExceeded'),
          await expectFailure(driver.describeInstances({}), 'throttling', 'RequestLimitExceeded'),
          await expectFailure(driver.terminateInstances(['i-0123456789abcdef0']), 'throttling', 'RequestLimitExceeded'),
          await expectFailure(driver.describeAvailabilityZones(), 'throttling', 'RequestLimitExceeded'),
          await expectFailure(driver.describeInstanceTypes(), 'throttling', 'RequestLimitExceeded'),
        ];
        expect(errors.map((err) => err.message.split(':')[0])).toEqual([
          'RunInstances at site throttle',
          'DescribeInstances at site throttle',
          'TerminateInstances at site throttle',
          'DescribeAvailabilityZones at site throttle',
          'DescribeInstanceTypes at site throttle',
        ]);
        expect(errors[0].message).toContain('(RequestLimitExceeded, HTTP 503)');
        expect(emulator.instances('throttle')).toHaveLength(0);
        expect(emulator.faults('throttle')).toEqual({});
      });

      it('with maxAttempts > 1 the SDK backs off and retries a throttled call; the driver sees throttling only when attempts run out', async () => {
        const { driver, calls } = await recordedGateway(
          siteSpec('throttle-retry', { faults: { failNext: { count: 3, code: 'RequestLimitExceeded' } } }),
          { maxAttempts: 2 },
        );
        await expectFailure(driver.describeInstances({}), 'throttling', 'RequestLimitExceeded');
        expect(calls).toHaveLength(2);
        await expect(driver.describeInstances({})).resolves.toEqual([]);
        expect(calls).toHaveLength(4);
      });
    });

    describe('permanent', () => {
      const network = { securityGroupIds: ['sg-0known'], subnetId: 'subnet-0known', keyName: 'known-key', associatePublicIp: null };
      const strict = siteSpec('strict', { securityGroups: ['sg-0known'], subnets: ['subnet-0known'], keyPairs: ['known-key'] });

      it.each([
        ['an image the site does not have', runInput('p-ami', { imageId: 'ami-00000000000000bad' }), 'InvalidAMIID.NotFound', 'does not have this image'],
        ['an image id that is no image id', runInput('p-ami-shape', { imageId: 'rocky-9' }), 'InvalidAMIID.Malformed', 'does not have this image'],
        ['minCount above maxCount', runInput('p-counts', { minCount: 3, maxCount: 2 }), 'InvalidParameterValue', 'rejected a parameter value'],
        ['user data over 16 KiB', runInput('p-userdata', { userData: 'x'.repeat(16 * 1024 + 1) }), 'InvalidParameterValue', 'User data is limited'],
        ['an instance type the site does not offer', runInput('p-type', { instanceType: 'u-24tb1.metal' }), 'InvalidParameterValue', 'InstanceType'],
        ['a security group the site does not know', runInput('p-sg', { network: { ...network, securityGroupIds: ['sg-0known', 'sg-0gone'] } }), 'InvalidGroup.NotFound', 'sg-0gone'],
        ['a subnet the site does not know', runInput('p-subnet', { network: { ...network, subnetId: 'subnet-0gone' } }), 'InvalidSubnetID.NotFound', 'subnet-0gone'],
        ['a key pair the site does not know', runInput('p-key', { network: { ...network, keyName: 'lost-key' } }), 'InvalidKeyPair.NotFound', 'lost-key'],
        ['an unknown group on the network interface (public IP asked for)', runInput('p-sg-nic', { network: { ...network, securityGroupIds: ['sg-0gone'], associatePublicIp: true } }), 'InvalidGroup.NotFound', 'security group of the site settings'],
        ['an unknown subnet on the network interface (associatePublicIp false)', runInput('p-subnet-nic', { network: { ...network, subnetId: 'subnet-0gone', associatePublicIp: false } }), 'InvalidSubnetID.NotFound', 'subnet of the site settings'],
      ])('%s is permanent', async (_what, input, code, words) => {
        const driver = gateway(strict);
        const before = emulator.instances('strict').length;
        const err = await expectFailure(driver.runInstances(input), 'permanent', code);
        // the broker's words say what kind of refusal; the site's own words stay apart, for admins
        expect(`${err.message}: ${err.detail}`).toContain(words);
        expect(err.message).toContain(`(${code}, HTTP 400)`);
        expect(err.startedInstances).toEqual([]);
        expect(emulator.instances('strict')).toHaveLength(before);
      });

      it('known network settings pass the same checks', async () => {
        const driver = gateway(strict);
        await expect(driver.runInstances(runInput('p-ok', { network }))).resolves.toHaveLength(1);
      });

      it.each([['Unsupported'], ['UnknownParameter'], ['InvalidParameterValue'], ['InvalidParameterCombination']])(
        '%s (failNext) is permanent, and is not taken for a site without TagSpecifications',
        async (code) => {
          const name = `perm-${code.toLowerCase()}`;
          const { driver, calls } = await recordedGateway(siteSpec(name, { faults: { failNext: { count: 1, code } } }));
          await expectFailure(driver.runInstances(runInput(`${name}-1`)), 'permanent', code);
          // One call, no CreateTags fallback: the site's message says nothing about TagSpecification.
          expect(calls.map((call) => call.action)).toEqual(['RunInstances']);
          expect(emulator.instances(name)).toHaveLength(0);

          await driver.runInstances(runInput(`${name}-2`));
          expect(calls.map((call) => call.action)).toEqual(['RunInstances', 'RunInstances']);
          expect(sentTagSpecifications(calls[1])).toBe(true);
        },
      );

      it('a ClientToken reused with other parameters is permanent (IdempotentParameterMismatch)', async () => {
        const driver = gateway(siteSpec('perm-token'));
        await driver.runInstances(runInput('token-1'));
        await expectFailure(
          driver.runInstances(runInput('token-1', { instanceType: 'c5.xlarge' })),
          'permanent',
          'IdempotentParameterMismatch',
        );
        expect(emulator.instances('perm-token')).toHaveLength(1);
      });

      it('a malformed instance id in terminateInstances is permanent (it is not skipped like an unknown one)', async () => {
        const driver = gateway(siteSpec('perm-terminate'));
        const [instance] = await driver.runInstances(runInput('term-ok'));
        await expectFailure(driver.terminateInstances([instance.siteInstanceId, 'vol-0123']), 'permanent', 'InvalidInstanceID.Malformed');
        expect(emulator.instances('perm-terminate')[0].state).toBe('pending');
      });
    });

    describe('auth', () => {
      it('AuthFailure (HTTP 401) for a wrong secret or an unknown access key; nothing starts and no credential is repeated', async () => {
        const spec = siteSpec('auth-site');
        const wrongSecret = gateway(spec, {}, { secretAccessKey: 'wrong-secret-value' });
        const unknownKey = gateway(spec, {}, { accessKeyId: 'AKIAUNKNOWNKEY000000' });
        for (const driver of [wrongSecret, unknownKey]) {
          const err = await expectFailure(driver.runInstances(runInput('auth-1')), 'auth', 'AuthFailure');
          expect(err.message).toContain('RunInstances at site auth-site: the site did not accept the credentials (AuthFailure, HTTP 401)');
          expect(err.message).not.toMatch(/wrong-secret-value|AKIA|Signature|Credential/);
          await expectFailure(driver.describeInstances({}), 'auth', 'AuthFailure');
          // DescribeInstanceTypes answers null only for a site without the action, not for bad credentials.
          await expectFailure(driver.describeInstanceTypes(), 'auth', 'AuthFailure');
        }
        expect(emulator.instances('auth-site')).toHaveLength(0);
      });

      it('UnauthorizedOperation (failNext, HTTP 403) is auth', async () => {
        const driver = gateway(siteSpec('auth-denied', { faults: { failNext: { count: 2, code: 'UnauthorizedOperation' } } }));
        const err = await expectFailure(driver.runInstances(runInput('denied')), 'auth', 'UnauthorizedOperation');
        expect(err.message).toContain('not allowed to do this at the site (UnauthorizedOperation, HTTP 403)');
        await expectFailure(driver.terminateInstances(['i-0123456789abcdef0']), 'auth', 'UnauthorizedOperation');
        expect(emulator.instances('auth-denied')).toHaveLength(0);
      });
    });

    describe('transient', () => {
      it('InternalError (failNext, HTTP 500) is transient', async () => {
        const driver = gateway(siteSpec('t-internal', { faults: { failNext: { count: 1 } } }));
        const err = await expectFailure(driver.runInstances(runInput('internal')), 'transient', 'InternalError');
        expect(err.message).toContain('internal error (InternalError, HTTP 500)');
        expect(emulator.instances('t-internal')).toHaveLength(0);
      });

      it('a 503 burst is transient (Unavailable) when the SDK may not retry', async () => {
        const driver = gateway(siteSpec('t-burst', { faults: { unavailableBurst: 1 } }));
        const err = await expectFailure(driver.describeInstances({}), 'transient', 'Unavailable');
        expect(err.message).toContain('(Unavailable, HTTP 503)');
      });

      it('a site slower than requestTimeoutMs is transient (TIMEOUT)', async () => {
        const driver = gateway(siteSpec('t-slow', { faults: { latencyMs: 1_500 } }), { requestTimeoutMs: 150 });
        const err = await expectFailure(driver.describeAvailabilityZones(), 'transient', 'TIMEOUT');
        expect(err.message).toContain('DescribeAvailabilityZones at site t-slow: the site did not answer in time');
      });

      it('a RunInstances that timed out may still start its instance; a retry with the same ClientToken finds it', async () => {
        const spec = siteSpec('t-slow-run', { faults: { latencyMs: 600, actions: ['RunInstances'] } });
        const impatient = gateway(spec, { requestTimeoutMs: 100 });
        await expectFailure(impatient.runInstances(runInput('slow-run')), 'transient', 'TIMEOUT');
        // The site carries on with the request after the driver gave up on it.
        await eventually(() => emulator.instances('t-slow-run').length === 1, 'the timed-out launch to land');

        emulator.setFaults('t-slow-run', {});
        const retried = await impatient.runInstances(runInput('slow-run'));
        expect(retried.map((instance) => instance.siteInstanceId)).toEqual([emulator.instances('t-slow-run')[0].instanceId]);
        expect(emulator.instances('t-slow-run')).toHaveLength(1);
      });

      it('a closed port is transient (NETWORK, ECONNREFUSED) for every operation', async () => {
        const spec = siteSpec('t-refused');
        const driver = gateway(spec, {}, { endpoint: `http://127.0.0.1:${await closedPort()}/t-refused` });
        const err = await expectFailure(driver.runInstances(runInput('refused')), 'transient', 'NETWORK');
        expect(err.message).toContain('RunInstances at site t-refused: the site refused the connection (ECONNREFUSED)');
        await expectFailure(driver.describeInstances({}), 'transient', 'NETWORK');
        await expectFailure(driver.terminateInstances(['i-0123456789abcdef0']), 'transient', 'NETWORK');
        await expectFailure(driver.describeAvailabilityZones(), 'transient', 'NETWORK');
        await expectFailure(driver.describeInstanceTypes(), 'transient', 'NETWORK');
      });

      // BUG (ec2-errors.ts, minor): the wrapped-error path (codeInMessage, there for exactly this
      // Jest/VM-realm case) finds "TimeoutError" in "AWS SDK error wrapper for TimeoutError: socket
      // hang up" and reports a closed connection as TIMEOUT, "did not answer in time". Outside Jest
      // the same failure is NETWORK "(ECONNRESET)". Only the code and wording differ: both are transient.
      it.failing('a connection closed without an answer reads as NETWORK (ECONNRESET), as it does outside Jest', async () => {
        const driver = gateway(siteSpec('t-down-code', { faults: { down: true } }));
        const err = await expectFailure(driver.describeInstances({}), 'transient', CONNECTION_LOST);
        expect(err.code).toBe('NETWORK');
        expect(err.message).toContain('the site closed the connection');
      });

      it('a site that is down (connections closed without an answer) is transient', async () => {
        const driver = gateway(siteSpec('t-down', { faults: { down: true } }));
        const err = await expectFailure(driver.runInstances(runInput('down')), 'transient', CONNECTION_LOST);
        expect(err.message).toContain('RunInstances at site t-down: ');
        await expectFailure(driver.describeInstances({}), 'transient', CONNECTION_LOST);
        expect(emulator.instances('t-down')).toHaveLength(0);
      });
    });
  });

  describe('each injected fault', () => {
    it('latencyMs: the call is slower but succeeds', async () => {
      const driver = gateway(siteSpec('f-latency', { faults: { latencyMs: 200 } }));
      // the emulator holds the answer with a timer of latencyMs: counted, not timed
      const timers = jest.spyOn(globalThis, 'setTimeout');
      const [instance] = await driver.runInstances(runInput('late'));
      expect(timers.mock.calls.filter(([, delay]) => delay === 200)).toHaveLength(1);
      timers.mockRestore();
      expect(instance.state).toBe('pending');
      expect(await driver.describeAvailabilityZones()).toEqual([`${REGION}a`, `${REGION}b`, `${REGION}c`]);
    });

    it('errorRate: with a deterministic `random`, exactly the calls that roll below the rate fail', async () => {
      const driver = gateway(siteSpec('f-rate', { faults: { errorRate: 0.3, errorCode: 'RequestLimitExceeded' } }));
      rolls.push(0.29, 0.3, 0.95, 0.01);
      await expectFailure(driver.describeInstances({}), 'throttling', 'RequestLimitExceeded');
      await expect(driver.describeInstances({})).resolves.toEqual([]);
      await expect(driver.runInstances(runInput('rate-1'))).resolves.toHaveLength(1);
      await expectFailure(driver.runInstances(runInput('rate-2')), 'throttling', 'RequestLimitExceeded');
      expect(rolls).toEqual([]);
      expect(emulator.instances('f-rate').map((instance) => instance.clientToken)).toEqual(['rate-1']);

      // The default code is InternalError.
      emulator.setFaults('f-rate', { errorRate: 0.5 });
      rolls.push(0.4);
      await expectFailure(driver.describeAvailabilityZones(), 'transient', 'InternalError');
      emulator.setFaults('f-rate', { errorRate: 1, errorCode: 'InsufficientInstanceCapacity' });
      await expectFailure(driver.runInstances(runInput('rate-3')), 'capacity', 'InsufficientInstanceCapacity');
    });

    it('failNext: the next count calls fail with the code, then the site works again', async () => {
      const driver = gateway(siteSpec('f-next', { faults: { failNext: { count: 2, code: 'InstanceLimitExceeded' } } }));
      await expectFailure(driver.runInstances(runInput('next')), 'capacity', 'InstanceLimitExceeded');
      expect(emulator.faults('f-next')).toEqual({ failNext: { count: 1, code: 'InstanceLimitExceeded' } });
      await expectFailure(driver.describeInstances({}), 'capacity', 'InstanceLimitExceeded');
      expect(emulator.faults('f-next')).toEqual({});
      expect(await driver.runInstances(runInput('next'))).toHaveLength(1);
    });

    it('unavailableBurst: the SDK retries a 503 burst away when maxAttempts allows, except for RunInstances, which is sent once', async () => {
      const { driver, calls } = await recordedGateway(siteSpec('f-burst-retried', { faults: { unavailableBurst: 2 } }), {
        maxAttempts: 3,
      });
      await expect(driver.describeInstances({})).resolves.toEqual([]);
      expect(calls.map((call) => call.action)).toEqual(['DescribeInstances', 'DescribeInstances', 'DescribeInstances']);
      expect(emulator.faults('f-burst-retried')).toEqual({});

      emulator.setFaults('f-burst-retried', { unavailableBurst: 1 });
      calls.length = 0;
      await expectFailure(driver.runInstances(runInput('burst')), 'transient', 'Unavailable');
      expect(calls.map((call) => call.action)).toEqual(['RunInstances']);
      expect(emulator.instances('f-burst-retried')).toHaveLength(0);
    });

    it('unavailableBurst: longer than maxAttempts, it surfaces as transient', async () => {
      const { driver, calls } = await recordedGateway(siteSpec('f-burst-long', { faults: { unavailableBurst: 3 } }), {
        maxAttempts: 2,
      });
      await expectFailure(driver.describeInstances({}), 'transient', 'Unavailable');
      expect(calls).toHaveLength(2);
      expect(emulator.faults('f-burst-long')).toEqual({ unavailableBurst: 1 });
      // The next call meets the burst's last 503 and is retried into a success.
      await expect(driver.describeInstances({})).resolves.toEqual([]);
      expect(calls).toHaveLength(4);
    });

    describe('dropReplyAfterCreate', () => {
      it('the driver throws transient, yet the instance exists; a retry with the same ClientToken returns it', async () => {
        const driver = gateway(siteSpec('f-drop', { faults: { dropReplyAfterCreate: 1 } }));
        const err = await expectFailure(driver.runInstances(runInput('drop-1')), 'transient', CONNECTION_LOST);
        expect(err.startedInstances).toEqual([]); // the driver cannot know
        const atSite = emulator.instances('f-drop');
        expect(atSite).toHaveLength(1);
        expect(atSite[0]).toMatchObject({ clientToken: 'drop-1', tags: { 'skypool:request': 'drop-1' } });

        const retried = await driver.runInstances(runInput('drop-1'));
        expect(retried.map((instance) => instance.siteInstanceId)).toEqual([atSite[0].instanceId]);
        expect(emulator.instances('f-drop')).toHaveLength(1);
        // The tags of the launch are found by describeInstances, as the provisioner would look.
        const found = await driver.describeInstances({ tags: { 'skypool:request': 'drop-1' } });
        expect(found.map((instance) => instance.siteInstanceId)).toEqual([atSite[0].instanceId]);
      });

      it('at a site that ignores ClientTokens, a retry starts a second instance (what the provisioner must guard against)', async () => {
        const driver = gateway(siteSpec('f-drop-no-token', { faults: { dropReplyAfterCreate: 1 }, compatibility: { clientToken: false } }));
        await expectFailure(driver.runInstances(runInput('drop-2')), 'transient', CONNECTION_LOST);
        expect(emulator.instances('f-drop-no-token')).toHaveLength(1);
        const retried = await driver.runInstances(runInput('drop-2'));
        const atSite = emulator.instances('f-drop-no-token');
        expect(atSite).toHaveLength(2);
        expect(retried.map((instance) => instance.siteInstanceId)).toEqual([atSite[1].instanceId]);
        expect(atSite[0].instanceId).not.toBe(atSite[1].instanceId);
        // Both carry the request's tags: a describe by tag is how the first one is found and cleaned up.
        const found = await driver.describeInstances({ tags: { 'skypool:request': 'drop-2' } });
        expect(found.map((instance) => instance.siteInstanceId).sort()).toEqual(atSite.map((instance) => instance.instanceId).sort());
      });

      it('even with maxAttempts > 1 at a site that ignores ClientTokens, RunInstances is not resent: one instance, found by tag', async () => {
        const { driver, calls } = await recordedGateway(
          siteSpec('f-drop-sdk-no-token', { faults: { dropReplyAfterCreate: 1 }, compatibility: { clientToken: false } }),
          { maxAttempts: 3 },
        );
        await expectFailure(driver.runInstances(runInput('drop-4')), 'transient', CONNECTION_LOST);
        expect(calls).toHaveLength(1);
        expect(emulator.instances('f-drop-sdk-no-token')).toHaveLength(1);
        // the provisioner finds it by the request's tags before it tries again
        const found = await driver.describeInstances({ tags: { 'skypool:request': 'drop-4' } });
        expect(found.map((instance) => instance.siteInstanceId)).toEqual(emulator.instances('f-drop-sdk-no-token').map((instance) => instance.instanceId));
      });
    });

    it('stuckPending: instances launched meanwhile never leave pending; the others do', async () => {
      const driver = gateway(siteSpec('f-stuck', { pendingSeconds: 5, faults: { stuckPending: true } }));
      const [stuck] = await driver.runInstances(runInput('stuck'));
      emulator.setFaults('f-stuck', {});
      const [healthy] = await driver.runInstances(runInput('healthy'));
      clock.advance(6 * 60 * 60 * 1000);
      const described = await driver.describeInstances({ instanceIds: [stuck.siteInstanceId, healthy.siteInstanceId] });
      expect(Object.fromEntries(described.map((instance) => [instance.siteInstanceId, instance.state]))).toEqual({
        [stuck.siteInstanceId]: 'pending',
        [healthy.siteInstanceId]: 'running',
      });
      // A stuck instance can be terminated.
      await driver.terminateInstances([stuck.siteInstanceId]);
      expect((await driver.describeInstances({ instanceIds: [stuck.siteInstanceId] }))[0].state).toBe('shutting-down');
    });

    it('down: every call fails transient and nothing starts; once up again the same driver works', async () => {
      const driver = gateway(siteSpec('f-down', { faults: { down: true } }));
      await expectFailure(driver.runInstances(runInput('down-1')), 'transient', CONNECTION_LOST);
      await expectFailure(driver.describeAvailabilityZones(), 'transient', CONNECTION_LOST);
      await expectFailure(driver.describeInstanceTypes(), 'transient', CONNECTION_LOST);
      expect(emulator.instances('f-down')).toHaveLength(0);
      emulator.setFaults('f-down', {});
      expect(await driver.runInstances(runInput('down-1'))).toHaveLength(1);
    });

    it('actions: a fault limited to CreateTags leaves RunInstances alone', async () => {
      const driver = gateway(siteSpec('f-actions', { faults: { actions: ['CreateTags'], failNext: { count: 1 } } }));
      expect(await driver.runInstances(runInput('actions-1'))).toHaveLength(1);
      expect(emulator.faults('f-actions')).toEqual({ actions: ['CreateTags'], failNext: { count: 1 } });
    });
  });

  describe('tagging', () => {
    const tags = { 'skypool:request': 'req-tags', 'skypool:project': 'proj-7', owner: 'ada & <bob>' };

    it('a site without TagSpecifications: the first launch falls back to CreateTags, later ones go there at once', async () => {
      const { driver, calls } = await recordedGateway(siteSpec('tags-fallback', { compatibility: { tagSpecifications: false } }));
      const first = await driver.runInstances(runInput('fallback-1', { tags, minCount: 2, maxCount: 2 }));
      expect(first).toHaveLength(2);
      for (const instance of first) expect(instance.tags).toEqual(tags);
      expect(calls.map((call) => call.action)).toEqual(['RunInstances', 'RunInstances', 'CreateTags']);
      expect(calls.map(sentTagSpecifications)).toEqual([true, false, false]);
      // The rejected attempt started nothing; the tags are at the site.
      const atSite = emulator.instances('tags-fallback');
      expect(atSite.map((instance) => instance.instanceId)).toEqual(first.map((instance) => instance.siteInstanceId));
      for (const instance of atSite) expect(instance.tags).toEqual(tags);

      calls.length = 0;
      const second = await driver.runInstances(runInput('fallback-2', { tags: { 'skypool:request': 'fallback-2' } }));
      expect(calls.map((call) => call.action)).toEqual(['RunInstances', 'CreateTags']);
      expect(calls.map(sentTagSpecifications)).toEqual([false, false]);
      expect(second[0].tags).toEqual({ 'skypool:request': 'fallback-2' });
      expect(emulator.instances('tags-fallback')[2].tags).toEqual({ 'skypool:request': 'fallback-2' });
    });

    it('a site without TagSpecifications, checked on the site alone: tags arrive by CreateTags, twice over', async () => {
      const driver = gateway(siteSpec('tags-fallback-site', { compatibility: { tagSpecifications: false } }));
      await driver.runInstances(runInput('site-1', { tags: { a: '1' } }));
      await driver.runInstances(runInput('site-2', { tags: { b: '2' } }));
      expect(emulator.instances('tags-fallback-site').map((instance) => instance.tags)).toEqual([{ a: '1' }, { b: '2' }]);
      const found = await driver.describeInstances({ tags: { b: '2' } });
      expect(found.map((instance) => instance.tags)).toEqual([{ b: '2' }]);
    });

    it('tagMode AFTER_CREATE: RunInstances without TagSpecifications, then CreateTags', async () => {
      const { driver, calls } = await recordedGateway(siteSpec('tags-after'));
      const [instance] = await driver.runInstances(runInput('after-1', { tags, tagMode: 'AFTER_CREATE' }));
      expect(instance.tags).toEqual(tags);
      expect(calls.map((call) => call.action)).toEqual(['RunInstances', 'CreateTags']);
      expect(sentTagSpecifications(calls[0])).toBe(false);
      expect(calls[1].params.get('ResourceId.1')).toBe(instance.siteInstanceId);
      expect(emulator.instances('tags-after')[0].tags).toEqual(tags);

      // ON_CREATE (the default) at the same site still uses TagSpecifications: the mode is per call here.
      calls.length = 0;
      await driver.runInstances(runInput('after-2', { tags }));
      expect(calls.map((call) => call.action)).toEqual(['RunInstances']);
      expect(sentTagSpecifications(calls[0])).toBe(true);
    });

    it('no tags: no CreateTags call in AFTER_CREATE mode', async () => {
      const { driver, calls } = await recordedGateway(siteSpec('tags-none'));
      await driver.runInstances(runInput('none', { tags: {}, tagMode: 'AFTER_CREATE' }));
      expect(calls.map((call) => call.action)).toEqual(['RunInstances']);
    });

    it.each([
      ['InternalError', 'transient'],
      ['UnauthorizedOperation', 'auth'],
      ['RequestLimitExceeded', 'throttling'],
    ] as const)('CreateTags failing (%s) after RunInstances: a %s ComputeError naming the started instances', async (code, category) => {
      const name = `tags-fail-${code.toLowerCase()}`;
      const driver = gateway(siteSpec(name, { faults: { actions: ['CreateTags'], failNext: { count: 1, code } } }));
      const err = await expectFailure(driver.runInstances(runInput(`${name}-1`, { tags, tagMode: 'AFTER_CREATE', minCount: 2, maxCount: 2 })), category, code);
      expect(err.message).toContain(`CreateTags at site ${name}: `);
      const atSite = emulator.instances(name);
      expect(atSite).toHaveLength(2);
      expect(err.startedInstances.map((instance) => instance.siteInstanceId)).toEqual(atSite.map((instance) => instance.instanceId));
      expect(err.startedInstances[0]).toMatchObject({ state: 'pending', instanceType: 'm5.large', imageId: IMAGE });
      // Untagged at the site: only startedInstances tells the broker about them.
      for (const instance of atSite) expect(instance.tags).toEqual({});
    });

    it('CreateTags failing after the automatic fallback also names the started instance', async () => {
      const name = 'tags-fallback-fail';
      const driver = gateway(
        siteSpec(name, { compatibility: { tagSpecifications: false }, faults: { actions: ['CreateTags'], failNext: { count: 1 } } }),
      );
      const err = await expectFailure(driver.runInstances(runInput('ff-1', { tags })), 'transient', 'InternalError');
      expect(err.startedInstances.map((instance) => instance.siteInstanceId)).toEqual([emulator.instances(name)[0].instanceId]);
      // Retrying the same attempt (same ClientToken) finds the instance and tags it this time.
      const retried = await driver.runInstances(runInput('ff-1', { tags }));
      expect(retried[0].siteInstanceId).toBe(err.startedInstances[0].siteInstanceId);
      expect(emulator.instances(name)).toHaveLength(1);
      expect(emulator.instances(name)[0].tags).toEqual(tags);
    });
  });

  describe('network settings reach the site', () => {
    const spec = siteSpec('net-site', {
      securityGroups: ['sg-0web', 'sg-0ssh'],
      subnets: ['subnet-0private', 'subnet-0public'],
      keyPairs: ['ops-key'],
    });

    it('security groups, subnet and key name at instance level (no public IP asked for)', async () => {
      const driver = gateway(spec);
      const [instance] = await driver.runInstances(
        runInput('net-1', {
          network: { securityGroupIds: ['sg-0web', 'sg-0ssh'], subnetId: 'subnet-0private', keyName: 'ops-key', associatePublicIp: null },
        }),
      );
      expect(instance.publicIp).toBeUndefined();
      const atSite = emulator.instances('net-site').find((candidate) => candidate.instanceId === instance.siteInstanceId);
      expect(atSite).toMatchObject({ securityGroupIds: ['sg-0web', 'sg-0ssh'], subnetId: 'subnet-0private', keyName: 'ops-key', publicIp: undefined });
    });

    it('a public IP on the network interface, with its subnet and groups', async () => {
      const driver = gateway(spec);
      const started = await driver.runInstances(
        runInput('net-2', {
          minCount: 2,
          maxCount: 2,
          network: { securityGroupIds: ['sg-0web'], subnetId: 'subnet-0public', keyName: 'ops-key', associatePublicIp: true },
        }),
      );
      const atSite = emulator.instances('net-site').filter((candidate) => candidate.clientToken === 'net-2');
      expect(atSite).toHaveLength(2);
      for (const instance of atSite) {
        expect(instance).toMatchObject({ securityGroupIds: ['sg-0web'], subnetId: 'subnet-0public', keyName: 'ops-key' });
        expect(instance.publicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      }
      expect(started.map((instance) => instance.publicIp)).toEqual(atSite.map((instance) => instance.publicIp));
      expect(new Set(started.map((instance) => instance.publicIp)).size).toBe(2);
      const described = await driver.describeInstances({ instanceIds: started.map((instance) => instance.siteInstanceId) });
      expect(described.map((instance) => instance.publicIp).sort()).toEqual(atSite.map((instance) => instance.publicIp).sort());
    });

    it('associatePublicIp false keeps the interface private; no subnet means the site default', async () => {
      const driver = gateway(spec);
      const [privateOne] = await driver.runInstances(
        runInput('net-3', { network: { securityGroupIds: [], subnetId: 'subnet-0public', keyName: null, associatePublicIp: false } }),
      );
      expect(privateOne.publicIp).toBeUndefined();
      expect(emulator.instances('net-site').find((i) => i.instanceId === privateOne.siteInstanceId)).toMatchObject({
        subnetId: 'subnet-0public',
        securityGroupIds: [],
        keyName: undefined,
        publicIp: undefined,
      });

      // A public address is asked for only with a subnet (EC2 takes it on the network interface).
      const [defaults] = await driver.runInstances(
        runInput('net-4', { network: { securityGroupIds: ['sg-0ssh'], subnetId: null, keyName: null, associatePublicIp: true } }),
      );
      expect(emulator.instances('net-site').find((i) => i.instanceId === defaults.siteInstanceId)).toMatchObject({
        subnetId: undefined,
        securityGroupIds: ['sg-0ssh'],
        publicIp: undefined,
      });
    });
  });

  describe('describeInstanceTypes', () => {
    it('returns name, vCPUs, memory and GPUs as the site describes them', async () => {
      const driver = gateway(siteSpec('types-site'));
      expect(await driver.describeInstanceTypes()).toEqual([
        { name: 'm5.large', vcpus: 2, memoryMiB: 8192, gpus: 0 },
        { name: 'c5.xlarge', vcpus: 4, memoryMiB: 8192, gpus: 0 },
        { name: 'g4dn.xlarge', vcpus: 4, memoryMiB: 16384, gpus: 1 },
      ]);
    });

    it('follows NextToken past the 100-type page', async () => {
      const instanceTypes = Array.from({ length: 105 }, (_, index) => ({ name: `t${index}.small`, vcpus: 1 + (index % 8), memoryMiB: 1024 * (1 + index), gpus: index % 50 === 0 ? 2 : 0 }));
      const { driver, calls } = await recordedGateway(siteSpec('types-many', { instanceTypes }));
      const types = await driver.describeInstanceTypes();
      expect(types).toHaveLength(105);
      expect(types?.[104]).toEqual({ name: 't104.small', vcpus: 1, memoryMiB: 105 * 1024, gpus: 0 });
      expect(types?.[100]).toEqual({ name: 't100.small', vcpus: 5, memoryMiB: 101 * 1024, gpus: 2 });
      expect(calls.map((call) => call.action)).toEqual(['DescribeInstanceTypes', 'DescribeInstanceTypes']);
    });

    it('null where the site does not implement DescribeInstanceTypes (InvalidAction), or answers Unsupported', async () => {
      const driver = gateway(siteSpec('types-none', { compatibility: { describeInstanceTypes: false } }));
      expect(await driver.describeInstanceTypes()).toBeNull();
      const unsupported = gateway(siteSpec('types-unsupported', { faults: { failNext: { count: 1, code: 'UnsupportedOperation' } } }));
      expect(await unsupported.describeInstanceTypes()).toBeNull();
    });

    it('other errors are not taken for "unsupported"', async () => {
      const driver = gateway(siteSpec('types-failing', { faults: { failNext: { count: 1 } } }));
      await expectFailure(driver.describeInstanceTypes(), 'transient', 'InternalError');
      expect(await driver.describeInstanceTypes()).toHaveLength(3);
    });
  });

  describe('describeInstances paging', () => {
    it('follows NextToken through every page with a small describePageSize', async () => {
      const { driver, calls } = await recordedGateway(siteSpec('paging-all'), { describePageSize: 5 });
      const started = await driver.runInstances(runInput('page', { minCount: 13, maxCount: 13 }));
      calls.length = 0;
      const found = await driver.describeInstances({ tags: { 'skypool:request': 'page' } });
      expect(found.map((instance) => instance.siteInstanceId)).toEqual(started.map((instance) => instance.siteInstanceId));
      expect(calls.map((call) => [call.action, call.params.get('MaxResults'), call.params.has('NextToken')])).toEqual([
        ['DescribeInstances', '5', false],
        ['DescribeInstances', '5', true],
        ['DescribeInstances', '5', true],
      ]);
      // By id (as a filter, so MaxResults is allowed): also paged.
      calls.length = 0;
      const byId = await driver.describeInstances({ instanceIds: started.slice(0, 7).map((instance) => instance.siteInstanceId) });
      expect(byId).toHaveLength(7);
      expect(calls).toHaveLength(2);
    });

    it('follows NextToken to the last page at a site that pages at 100 whatever MaxResults asks', async () => {
      const { driver, calls } = await recordedGateway(siteSpec('paging-capped', { maxPageSize: 100 }));
      const started = await driver.runInstances(runInput('capped', { minCount: 250, maxCount: 250 }));
      calls.length = 0;
      const found = await driver.describeInstances({ tags: { 'skypool:request': 'capped' } });
      expect(found.map((instance) => instance.siteInstanceId)).toEqual(started.map((instance) => instance.siteInstanceId));
      expect(calls.map((call) => [call.action, call.params.get('MaxResults'), call.params.has('NextToken')])).toEqual([
        ['DescribeInstances', '1000', false],
        ['DescribeInstances', '1000', true],
        ['DescribeInstances', '1000', true],
      ]);
    });

    it('firstPageOnly stops after the first page', async () => {
      const { driver, calls } = await recordedGateway(siteSpec('paging-first'), { describePageSize: 5 });
      const started = await driver.runInstances(runInput('first', { minCount: 12, maxCount: 12 }));
      calls.length = 0;
      const page = await driver.describeInstances({}, { firstPageOnly: true });
      expect(page.map((instance) => instance.siteInstanceId)).toEqual(started.slice(0, 5).map((instance) => instance.siteInstanceId));
      expect(calls).toHaveLength(1);
      // A site with fewer instances than a page: the one page is all of them.
      const small = gateway(siteSpec('paging-small'), { describePageSize: 5 });
      await small.runInstances(runInput('few', { minCount: 3, maxCount: 3 }));
      expect(await small.describeInstances({}, { firstPageOnly: true })).toHaveLength(3);
    });
  });
});
