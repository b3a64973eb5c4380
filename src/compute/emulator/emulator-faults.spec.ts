import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll, afterEach, jest } from '@jest/globals';
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { ManualClock } from '../../common/clock.js';
import { bearerToken, Ec2Emulator } from './ec2-emulator.js';
import { SiteFaults } from './ec2-faults.js';
import type { EmulatedSiteSpec } from './emulated-site.js';

const IMAGE = 'ami-0123456789abcdef0';

const site = (name: string, overrides: Partial<EmulatedSiteSpec> = {}): EmulatedSiteSpec => ({
  name,
  region: 'us-east-1',
  accessKeyId: `AKID${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
  secretAccessKey: `secret-of-${name}`,
  instanceTypes: [{ name: 'c1.small', vcpus: 2, memoryMiB: 4096 }],
  images: [{ imageId: IMAGE, name: 'ubuntu-24.04' }],
  ...overrides,
});

const runInput = (overrides: Partial<RunInstancesCommandInput> = {}): RunInstancesCommandInput => ({
  ImageId: IMAGE,
  InstanceType: 'c1.small' as _InstanceType,
  MinCount: 1,
  MaxCount: 1,
  ...overrides,
});

/** What a failed SDK call tells: the EC2 error code and HTTP status, or the network error code. */
async function failure(call: Promise<unknown>): Promise<{ name: string; status?: number; code?: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const error = err as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
    return { name: error.name, status: error.$metadata?.httpStatusCode, code: error.code, message: error.message };
  }
  throw new Error('expected the call to fail');
}

/**
 * A call whose connection closed without an answer: no HTTP status, and Node's "socket hang up"
 * (ECONNRESET). Under Jest the SDK wraps the error from the other realm, keeping only the message.
 */
/**
 * How the emulator holds an answer for `latencyMs`: counts the timers set for exactly that long,
 * so a test sees the wait happen without reading the wall clock.
 */
function timersOf(ms: number): () => number {
  const timers = jest.spyOn(globalThis, 'setTimeout');
  return () => timers.mock.calls.filter(([, delay]) => delay === ms).length;
}

function expectConnectionLost(result: { status?: number; code?: string; message: string }): void {
  expect(result.status).toBeUndefined();
  expect(`${result.code ?? ''} ${result.message}`).toMatch(/ECONNRESET|socket hang up/);
}

describe('Ec2Emulator fault injection over HTTP', () => {
  const clock = new ManualClock();
  /** What `random` hands out next; once empty, 0.99 (no error at any rate below 1). */
  const rolls: number[] = [];
  const emulator = new Ec2Emulator({ clock, random: () => rolls.shift() ?? 0.99, authorizeListing: bearerToken('listing-token-0123456789') });
  const clients: EC2Client[] = [];
  let base: string;

  /** A fresh site (per test, so faults and instances do not leak between tests) and an SDK client for it. */
  function siteWithClient(spec: EmulatedSiteSpec): EC2Client {
    emulator.upsertSite(spec);
    const client = new EC2Client({
      endpoint: `${base}/${spec.name}`,
      region: spec.region,
      credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    base = await emulator.listen(0);
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await emulator.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('latencyMs: the answer waits, while other sites answer at once', async () => {
    const slow = siteWithClient(site('slow', { faults: { latencyMs: 150 } }));
    const quick = siteWithClient(site('quick'));
    const finished: string[] = [];
    const waits = timersOf(150);
    const slowCall = slow.send(new DescribeInstancesCommand({})).then(() => finished.push('slow'));
    await quick.send(new DescribeInstancesCommand({}));
    finished.push('quick');
    await slowCall;
    expect(finished).toEqual(['quick', 'slow']);
    expect(waits()).toBe(1);
  });

  it('latencyJitterMs: each call waits latencyMs and up to the jitter more, as `random` rolls', async () => {
    const client = siteWithClient(site('jittery', { faults: { latencyMs: 20, latencyJitterMs: 60 } }));
    const waits = [timersOf(20), timersOf(50), timersOf(80)];
    rolls.push(0, 0.5, 1);
    for (let call = 0; call < 3; call++) await client.send(new DescribeInstancesCommand({}));
    expect(waits.map((count) => count())).toEqual([1, 1, 1]);

    const faults = new SiteFaults({ latencyJitterMs: 10 });
    expect(faults.before('DescribeInstances', () => 0.25).latencyMs).toBe(3); // no latencyMs: the jitter alone
    expect(new SiteFaults({ latencyMs: 5 }).before('DescribeInstances', () => { throw new Error('no jitter, no roll'); }).latencyMs).toBe(5);
    expect(() => new SiteFaults({ latencyJitterMs: -1 })).toThrow(/latencyJitterMs must be a number of milliseconds of at least 0/);
  });

  it('errorRate: calls fail when `random` rolls below the rate, with errorCode and its EC2 status', async () => {
    const client = siteWithClient(site('flaky', { faults: { errorRate: 0.5, errorCode: 'RequestLimitExceeded' } }));
    rolls.push(0.2, 0.7, 0.49);
    const first = await failure(client.send(new DescribeInstancesCommand({})));
    expect(first).toMatchObject({ name: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' });
    await expect(client.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
    expect(await failure(client.send(new RunInstancesCommand(runInput())))).toMatchObject({ name: 'RequestLimitExceeded', status: 503 });
    expect(emulator.instances('flaky')).toHaveLength(0);

    // The default code is InternalError (500); a code EC2 has no server status for is a client error (400).
    emulator.setFaults('flaky', { errorRate: 1 });
    expect(await failure(client.send(new DescribeInstancesCommand({})))).toMatchObject({ name: 'InternalError', status: 500 });
    emulator.setFaults('flaky', { errorRate: 1, errorCode: 'InsufficientInstanceCapacity' });
    expect(await failure(client.send(new DescribeInstancesCommand({})))).toMatchObject({ name: 'InsufficientInstanceCapacity', status: 500 });
    emulator.setFaults('flaky', { errorRate: 1, errorCode: 'VcpuLimitExceeded' });
    expect(await failure(client.send(new DescribeInstancesCommand({})))).toMatchObject({ name: 'VcpuLimitExceeded', status: 400 });
    emulator.setFaults('flaky', { errorRate: 0 });
    await expect(client.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('failNext: the next calls fail with the code, counting down, then calls succeed', async () => {
    const client = siteWithClient(site('failing', { faults: { failNext: { count: 2, code: 'InsufficientInstanceCapacity' } } }));
    expect(await failure(client.send(new RunInstancesCommand(runInput())))).toMatchObject({ name: 'InsufficientInstanceCapacity', status: 500 });
    expect(emulator.faults('failing')).toEqual({ failNext: { count: 1, code: 'InsufficientInstanceCapacity' } });
    expect(await failure(client.send(new RunInstancesCommand(runInput())))).toMatchObject({ name: 'InsufficientInstanceCapacity' });
    expect(emulator.faults('failing')).toEqual({});
    expect(emulator.instances('failing')).toHaveLength(0);
    const run = await client.send(new RunInstancesCommand(runInput()));
    expect(run.Instances).toHaveLength(1);

    emulator.setFaults('failing', { failNext: { count: 1 } });
    expect(await failure(client.send(new DescribeInstancesCommand({})))).toMatchObject({ name: 'InternalError', status: 500 });
    await expect(client.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('unavailableBurst: the next calls answer 503 Unavailable, then the site is back', async () => {
    const client = siteWithClient(site('burst', { faults: { unavailableBurst: 2 } }));
    for (let i = 0; i < 2; i++) {
      expect(await failure(client.send(new DescribeInstancesCommand({})))).toEqual({
        name: 'Unavailable',
        status: 503,
        code: undefined,
        message: "The server is overloaded and can't handle the request.",
      });
    }
    const output = await client.send(new DescribeInstancesCommand({}));
    expect(output.Reservations).toEqual([]);
    expect(emulator.faults('burst')).toEqual({});
  });

  it('dropReplyAfterCreate: the instances are launched but the reply is lost; a retry with the ClientToken finds them', async () => {
    const client = siteWithClient(site('lossy', { faults: { dropReplyAfterCreate: 1 } }));
    const lost = await failure(client.send(new RunInstancesCommand(runInput({ ClientToken: 'lost-1' }))));
    expectConnectionLost(lost);
    const [launched] = emulator.instances('lossy');
    expect(emulator.instances('lossy')).toHaveLength(1);
    expect(launched.clientToken).toBe('lost-1');
    expect(emulator.faults('lossy')).toEqual({});

    const retry = await client.send(new RunInstancesCommand(runInput({ ClientToken: 'lost-1' })));
    expect(retry.Instances?.map((instance) => instance.InstanceId)).toEqual([launched.instanceId]);
    expect(emulator.instances('lossy')).toHaveLength(1);
  });

  it('dropReplyAfterCreate at a site that ignores ClientTokens: the retry launches a second instance', async () => {
    const client = siteWithClient(site('lossy-no-token', { faults: { dropReplyAfterCreate: 1 }, compatibility: { clientToken: false } }));
    expectConnectionLost(await failure(client.send(new RunInstancesCommand(runInput({ ClientToken: 'lost-2' })))));
    const retry = await client.send(new RunInstancesCommand(runInput({ ClientToken: 'lost-2' })));
    const instances = emulator.instances('lossy-no-token');
    expect(instances).toHaveLength(2);
    expect(retry.Instances?.[0].InstanceId).toBe(instances[1].instanceId);
    // The token is not recorded at all, so it neither replays nor shows up.
    expect(instances.map((instance) => instance.clientToken)).toEqual([undefined, undefined]);
    expect(retry.Instances?.[0].ClientToken).toBe('');
  });

  it('malformedRunReply: RunInstances answers HTTP 200 that the SDK cannot read, yet the instances started with their tags', async () => {
    const client = siteWithClient(site('old-dialect', { faults: { malformedRunReply: true } }));
    const tags = [{ Key: 'skypool:request', Value: 'r-1' }];
    const unreadable = await failure(client.send(new RunInstancesCommand(runInput({ MinCount: 2, MaxCount: 2, TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] }))));
    expect(unreadable.status).toBe(200);
    expect(unreadable.message).toMatch(/Deserialization error/);
    // the instances are there, tagged, and every other action answers as usual
    const found = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skypool:request', Values: ['r-1'] }] }));
    expect(found.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId).sort()).toEqual(emulator.instances('old-dialect').map((i) => i.instanceId).sort());
    expect(emulator.instances('old-dialect')).toHaveLength(2);
    expect(emulator.faults('old-dialect')).toEqual({ malformedRunReply: true }); // not a counter: the site always answers so
  });

  it('malformedRunReply: each instance item of a RunInstances reply names its instanceId twice; other replies are left alone', () => {
    const faults = new SiteFaults({ malformedRunReply: true });
    const reply = '<RunInstancesResponse><instancesSet><item><instanceId>i-1</instanceId><imageId>ami-1</imageId></item><item><instanceId>i-2</instanceId></item></instancesSet></RunInstancesResponse>';
    expect(faults.reply('RunInstances', reply)).toBe(
      '<RunInstancesResponse><instancesSet><item><instanceId>i-1</instanceId><instanceId>i-1</instanceId><imageId>ami-1</imageId></item><item><instanceId>i-2</instanceId><instanceId>i-2</instanceId></item></instancesSet></RunInstancesResponse>',
    );
    expect(faults.reply('DescribeInstances', reply)).toBe(reply);
    expect(new SiteFaults().reply('RunInstances', reply)).toBe(reply);
    expect(() => new SiteFaults({ malformedRunReply: 'yes' as unknown as boolean })).toThrow(/malformedRunReply must be true or false/);
  });

  it('down: every call loses its connection (after the signature check), but the JSON listing still answers', async () => {
    const spec = site('gone', { faults: { down: true } });
    const client = siteWithClient(spec);
    expectConnectionLost(await failure(client.send(new DescribeInstancesCommand({}))));
    expectConnectionLost(await failure(client.send(new RunInstancesCommand(runInput()))));
    expect(emulator.instances('gone')).toHaveLength(0);
    expect((await fetch(`${base}/gone/instances`, { headers: { authorization: 'Bearer listing-token-0123456789' } })).status).toBe(200);

    const wrongSecret = new EC2Client({
      endpoint: `${base}/gone`,
      region: spec.region,
      credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: 'guess' },
      maxAttempts: 1,
    });
    clients.push(wrongSecret);
    expect(await failure(wrongSecret.send(new DescribeInstancesCommand({})))).toMatchObject({ name: 'AuthFailure', status: 401 });

    emulator.setFaults('gone', {});
    await expect(client.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('actions: faults hit only the named actions, and other calls use up no counter', async () => {
    const client = siteWithClient(
      site('picky', { faults: { actions: ['RunInstances'], failNext: { count: 3, code: 'Unavailable' }, latencyMs: 200 } }),
    );
    const finished: string[] = [];
    const waits = timersOf(200);
    const run = failure(client.send(new RunInstancesCommand(runInput()))).then((result) => {
      finished.push('RunInstances');
      return result;
    });
    await client.send(new DescribeInstancesCommand({}));
    await client.send(new DescribeInstancesCommand({}));
    finished.push('DescribeInstances x2');
    const result = await run;
    expect(finished).toEqual(['DescribeInstances x2', 'RunInstances']);
    expect(result).toMatchObject({ name: 'Unavailable', status: 503 });
    expect(waits()).toBe(1); // RunInstances waited; the DescribeInstances calls did not
    expect(emulator.faults('picky').failNext).toEqual({ count: 2, code: 'Unavailable' });

    emulator.setFaults('picky', { actions: ['TerminateInstances'], down: true });
    const launched = await client.send(new RunInstancesCommand(runInput()));
    const id = launched.Instances?.[0].InstanceId as string;
    expectConnectionLost(await failure(client.send(new TerminateInstancesCommand({ InstanceIds: [id] }))));
    expect(emulator.instances('picky')[0].state).toBe('pending');

    // dropReplyAfterCreate is about RunInstances whatever `actions` says.
    emulator.setFaults('picky', { actions: ['DescribeInstances'], dropReplyAfterCreate: 1 });
    expectConnectionLost(await failure(client.send(new RunInstancesCommand(runInput()))));
    expect(emulator.instances('picky')).toHaveLength(2);
  });

  it('faults come from the spec, are replaced by setFaults and by upsertSite, and must make sense', async () => {
    const spec = site('configured', { faults: { unavailableBurst: 3, latencyMs: 1 } });
    siteWithClient(spec);
    expect(emulator.faults('configured')).toEqual({ unavailableBurst: 3, latencyMs: 1 });
    emulator.setFaults('configured', { errorRate: 0.25 });
    expect(emulator.faults('configured')).toEqual({ errorRate: 0.25 });
    // The copy handed out is not the site's own.
    emulator.faults('configured').errorRate = 1;
    expect(emulator.faults('configured')).toEqual({ errorRate: 0.25 });
    const { faults: _faults, ...withoutFaults } = spec;
    emulator.upsertSite(withoutFaults);
    expect(emulator.faults('configured')).toEqual({});

    expect(() => emulator.setFaults('configured', { errorRate: 1.5 })).toThrow(/errorRate must be from 0 to 1/);
    expect(() => emulator.setFaults('configured', { failNext: { count: -1 } })).toThrow(/failNext.count/);
    expect(() => emulator.setFaults('configured', { latencyMs: Number.NaN })).toThrow(/latencyMs/);
    expect(() => emulator.setFaults('nowhere', {})).toThrow(/no emulated site named 'nowhere'/);
    expect(() => emulator.upsertSite({ ...spec, faults: { dropReplyAfterCreate: 0.5 } })).toThrow(/dropReplyAfterCreate/);
    expect(emulator.faults('configured')).toEqual({});
  });

  it('compatibility.tagSpecifications=false: RunInstances with TagSpecification fails UnknownParameter, CreateTags works', async () => {
    const client = siteWithClient(site('untagged', { compatibility: { tagSpecifications: false } }));
    const tagged = runInput({ TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'alpha' }] }] });
    expect(await failure(client.send(new RunInstancesCommand(tagged)))).toMatchObject({
      name: 'UnknownParameter',
      status: 400,
      message: 'The parameter TagSpecification.1.ResourceType is not recognized',
    });
    expect(emulator.instances('untagged')).toHaveLength(0);

    const run = await client.send(new RunInstancesCommand(runInput()));
    const id = run.Instances?.[0].InstanceId as string;
    await client.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'team', Value: 'alpha' }] }));
    expect(emulator.instances('untagged')[0].tags).toEqual({ team: 'alpha' });
  });

  it('compatibility.clientToken=false: the same token launches again each time', async () => {
    const client = siteWithClient(site('no-idempotency', { compatibility: { clientToken: false } }));
    const first = await client.send(new RunInstancesCommand(runInput({ ClientToken: 'same' })));
    const second = await client.send(new RunInstancesCommand(runInput({ ClientToken: 'same', MaxCount: 2 })));
    expect(second.Instances?.[0].InstanceId).not.toBe(first.Instances?.[0].InstanceId);
    expect(emulator.instances('no-idempotency')).toHaveLength(3);
  });

  it('compatibility.describeInstanceTypes=false: DescribeInstanceTypes is an InvalidAction', async () => {
    const client = siteWithClient(site('no-types', { compatibility: { describeInstanceTypes: false } }));
    expect(await failure(client.send(new DescribeInstanceTypesCommand({ MaxResults: 1 })))).toMatchObject({
      name: 'InvalidAction',
      status: 400,
      message: 'The action DescribeInstanceTypes is not valid for this web service.',
    });
    const full = siteWithClient(site('with-types'));
    const types = await full.send(new DescribeInstanceTypesCommand({}));
    expect(types.InstanceTypes?.map((type) => type.InstanceType)).toEqual(['c1.small']);
  });

  it('vanish: the site loses the instance without a trace; DescribeInstances no longer lists it and its capacity is free', async () => {
    const client = siteWithClient(site('vanishing', { capacity: { vcpus: 2, memoryMiB: 4096 } }));
    const run = await client.send(new RunInstancesCommand(runInput({ TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'alpha' }] }] })));
    const id = run.Instances?.[0].InstanceId as string;
    emulator.vanish('vanishing', [id, 'i-00000000000000000']); // an unknown id is ignored
    expect(emulator.instances('vanishing')).toHaveLength(0);
    const described = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:team', Values: ['alpha'] }] }));
    expect(described.Reservations ?? []).toEqual([]);
    // the whole capacity (one instance's worth) is free again
    expect((await client.send(new RunInstancesCommand(runInput()))).Instances).toHaveLength(1);
  });
});

describe('Ec2Emulator stuckPending fault', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skypool-emulator-faults-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('instances launched while it is set stay pending for ever, also after a restart from the state file', async () => {
    const stateFile = join(dir, 'state.json');
    const clock = new ManualClock();
    const spec = site('stuck', { pendingSeconds: 2 });
    const first = new Ec2Emulator({ clock, stateFile });
    first.upsertSite({ ...spec, faults: { stuckPending: true, actions: ['DescribeInstances'] } });
    const base1 = await first.listen();
    const client1 = new EC2Client({
      endpoint: `${base1}/stuck`,
      region: spec.region,
      credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
      maxAttempts: 1,
    });
    let stuckId: string;
    try {
      // stuckPending is about RunInstances whatever `actions` says.
      const stuck = await client1.send(new RunInstancesCommand(runInput()));
      stuckId = stuck.Instances?.[0].InstanceId as string;
      first.setFaults('stuck', {});
      await client1.send(new RunInstancesCommand(runInput()));
      clock.advance(24 * 60 * 60 * 1000);
      expect(first.instances('stuck').map((instance) => instance.state)).toEqual(['pending', 'running']);
      const described = await client1.send(new DescribeInstancesCommand({ InstanceIds: [stuckId] }));
      expect(described.Reservations?.[0].Instances?.[0].State?.Name).toBe('pending');
    } finally {
      client1.destroy();
      await first.close();
    }

    const second = new Ec2Emulator({ clock, stateFile });
    second.upsertSite(spec);
    const base2 = await second.listen();
    const client2 = new EC2Client({
      endpoint: `${base2}/stuck`,
      region: spec.region,
      credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
      maxAttempts: 1,
    });
    try {
      clock.advance(24 * 60 * 60 * 1000);
      expect(second.instances('stuck').map((instance) => instance.state)).toEqual(['pending', 'running']);
      // A stuck instance can still be terminated.
      const terminated = await client2.send(new TerminateInstancesCommand({ InstanceIds: [stuckId] }));
      expect(terminated.TerminatingInstances?.[0]).toMatchObject({ PreviousState: { Name: 'pending' }, CurrentState: { Name: 'shutting-down' } });
      clock.advance(60_000);
      expect(second.instances('stuck')[0].state).toBe('terminated');
    } finally {
      client2.destroy();
      await second.close();
    }
  });
});
