import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { ManualClock } from '../common/clock.js';
import { ComputeError, type SiteConnection } from './compute-driver.js';
import { Ec2DriverFactory } from './ec2-driver.js';
import { toComputeError } from './ec2-errors.js';
import { Ec2Emulator, type EmulatedSiteSpec } from './emulator/index.js';

/**
 * Conformance of the EC2 driver: the real @aws-sdk/client-ec2 over real HTTP against the emulator.
 */

const IMAGE = 'ami-0a1b2c3d4e5f60718';

const spec = (name: string, overrides: Partial<EmulatedSiteSpec> = {}): EmulatedSiteSpec => ({
  name,
  region: 'us-west-2',
  accessKeyId: `AKIA${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}EXAMPLE`,
  secretAccessKey: `wJalrXUtnFEMI/${name}/bPxRfiCYEXAMPLEKEY`,
  availabilityZones: ['us-west-2a', 'us-west-2b'],
  instanceTypes: [
    { name: 'm5.large', vcpus: 2, memoryMiB: 8192, gpus: 0 },
    { name: 'p3.2xlarge', vcpus: 8, memoryMiB: 61440, gpus: 1 },
  ],
  images: [{ imageId: IMAGE, name: 'rocky-9' }],
  pendingSeconds: 10,
  ...overrides,
});

const connectionFor = (base: string, site: EmulatedSiteSpec, overrides: Partial<SiteConnection> = {}): SiteConnection => ({
  siteKey: site.name,
  endpoint: `${base}/${site.name}`,
  region: site.region,
  accessKeyId: site.accessKeyId,
  secretAccessKey: site.secretAccessKey,
  ...overrides,
});

async function expectComputeError(promise: Promise<unknown>): Promise<ComputeError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ComputeError);
    return err as ComputeError;
  }
  throw new Error('expected the call to fail');
}

/** An HTTP server in front of the emulator that records each EC2 action and can answer in its place. */
async function proxyServer(
  emulator: Ec2Emulator,
  intercept?: (action: string, res: ServerResponse) => boolean,
): Promise<{ url: string; actions: string[]; close: () => Promise<void> }> {
  const actions: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString()).get('Action') ?? '';
      actions.push(action);
      if (intercept?.(action, res)) return;
      // Hand the already-read body on: the emulator accepts a raw Buffer as req.body.
      Object.assign(req, { body });
      emulator.handle(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    actions,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('Ec2Driver against the emulator', () => {
  const clock = new ManualClock();
  const emulator = new Ec2Emulator({ clock });
  const factory = new Ec2DriverFactory({ maxAttempts: 1, connectionTimeoutMs: 1000, requestTimeoutMs: 5000 });
  const site = spec('umich');
  let base: string;

  beforeAll(async () => {
    emulator.upsertSite(site);
    base = await emulator.listen(0);
  });
  afterAll(async () => {
    factory.destroy();
    await emulator.close();
  });

  const driver = () => factory.forSite(connectionFor(base, site));

  it('runInstances starts instances with tags, user data and a ClientToken, and is idempotent on the token', async () => {
    const tags = { 'skypool:request': 'req-1', 'skypool:project': 'proj-1', 'skypool:broker': 'dep-1', 'skypool:attempt': '1' };
    const userData = '#cloud-config\nusers:\n  - name: ada # “quoted” & <odd>\n';
    const input = { clientToken: 'req-1/attempt-1', imageId: IMAGE, instanceType: 'm5.large', minCount: 2, maxCount: 2, userData, tags };

    const started = await driver().runInstances(input);
    expect(started).toHaveLength(2);
    for (const instance of started) {
      expect(instance).toMatchObject({ state: 'pending', instanceType: 'm5.large', imageId: IMAGE, tags });
      expect(instance.siteInstanceId).toMatch(/^i-[0-9a-f]{17}$/);
      expect(instance.privateIp).toMatch(/^127\./);
      expect(instance.launchTime).toEqual(clock.now());
    }

    const retried = await driver().runInstances(input);
    expect(retried.map((i) => i.siteInstanceId)).toEqual(started.map((i) => i.siteInstanceId));
    const stored = emulator.instances('umich').filter((i) => i.clientToken === 'req-1/attempt-1');
    expect(stored).toHaveLength(2);

    // The driver base64-encodes plain text; the site stores base64 that decodes to the same text.
    expect(Buffer.from(stored[0].userData ?? '', 'base64').toString('utf8')).toBe(userData);
    expect(stored[0].tags).toEqual(tags);
  });

  it('describeInstances finds instances by tags and by id (unknown ids are simply absent)', async () => {
    const [a, b] = await driver().runInstances({
      clientToken: 'describe-1', imageId: IMAGE, instanceType: 'm5.large', minCount: 2, maxCount: 2,
      tags: { 'skypool:request': 'req-2', 'skypool:attempt': '1' },
    });
    await driver().runInstances({
      clientToken: 'describe-2', imageId: IMAGE, instanceType: 'm5.large', minCount: 1, maxCount: 1,
      tags: { 'skypool:request': 'req-2', 'skypool:attempt': '2' },
    });

    const byRequest = await driver().describeInstances({ tags: { 'skypool:request': 'req-2' } });
    expect(byRequest).toHaveLength(3);
    const byAttempt = await driver().describeInstances({ tags: { 'skypool:request': 'req-2', 'skypool:attempt': '1' } });
    expect(byAttempt.map((i) => i.siteInstanceId).sort()).toEqual([a.siteInstanceId, b.siteInstanceId].sort());
    expect(byAttempt[0].tags).toEqual({ 'skypool:request': 'req-2', 'skypool:attempt': '1' });

    const byId = await driver().describeInstances({ instanceIds: [b.siteInstanceId, 'i-00000000000000000'] });
    expect(byId.map((i) => i.siteInstanceId)).toEqual([b.siteInstanceId]);
    expect(await driver().describeInstances({ instanceIds: [] })).toEqual([]);
  });

  it('describeInstances follows NextToken across pages', async () => {
    const pagingSite = spec('paging');
    emulator.upsertSite(pagingSite);
    const proxy = await proxyServer(emulator);
    const pagingFactory = new Ec2DriverFactory({ maxAttempts: 1, describePageSize: 5 });
    try {
      const paged = pagingFactory.forSite(connectionFor(proxy.url, pagingSite));
      await paged.runInstances({ clientToken: 'many', imageId: IMAGE, instanceType: 'm5.large', minCount: 12, maxCount: 12, tags: { batch: 'b1' } });
      proxy.actions.length = 0;

      const found = await paged.describeInstances({ tags: { batch: 'b1' } });
      expect(found).toHaveLength(12);
      expect(new Set(found.map((i) => i.siteInstanceId)).size).toBe(12);
      expect(proxy.actions).toEqual(['DescribeInstances', 'DescribeInstances', 'DescribeInstances']);
    } finally {
      pagingFactory.destroy();
      await proxy.close();
    }
  });

  it('reports pending -> running as the clock moves', async () => {
    const [instance] = await driver().runInstances({ clientToken: 'clock-1', imageId: IMAGE, instanceType: 'm5.large', minCount: 1, maxCount: 1, tags: { t: 'clock' } });
    expect(instance.state).toBe('pending');
    clock.advance(9_999);
    expect((await driver().describeInstances({ instanceIds: [instance.siteInstanceId] }))[0].state).toBe('pending');
    clock.advance(1);
    expect((await driver().describeInstances({ instanceIds: [instance.siteInstanceId] }))[0].state).toBe('running');
  });

  it('terminateInstances ends instances, is idempotent, and skips ids the site no longer knows', async () => {
    const started = await driver().runInstances({ clientToken: 'term-1', imageId: IMAGE, instanceType: 'm5.large', minCount: 2, maxCount: 2, tags: { t: 'term' } });
    const ids = started.map((i) => i.siteInstanceId);
    await driver().terminateInstances(ids);
    expect((await driver().describeInstances({ instanceIds: ids })).map((i) => i.state)).toEqual(['shutting-down', 'shutting-down']);
    clock.advance(1_000);
    expect((await driver().describeInstances({ instanceIds: ids })).map((i) => i.state)).toEqual(['terminated', 'terminated']);
    await driver().terminateInstances(ids);

    const [survivor] = await driver().runInstances({ clientToken: 'term-2', imageId: IMAGE, instanceType: 'm5.large', minCount: 1, maxCount: 1, tags: { t: 'term' } });
    await driver().terminateInstances([survivor.siteInstanceId, 'i-0000000000000000a', 'i-0000000000000000b']);
    expect(emulator.instances('umich').find((i) => i.instanceId === survivor.siteInstanceId)?.state).toBe('shutting-down');
    await driver().terminateInstances([]);
  });

  it('describeAvailabilityZones returns zone names', async () => {
    expect(await driver().describeAvailabilityZones()).toEqual(['us-west-2a', 'us-west-2b']);
  });

  describe('errors arrive as ComputeError categories', () => {
    it('an unknown image is permanent', async () => {
      const err = await expectComputeError(
        driver().runInstances({ clientToken: 'bad-ami', imageId: 'ami-00000000deadbeef0', instanceType: 'm5.large', minCount: 1, maxCount: 1, tags: {} }),
      );
      expect(err).toMatchObject({ category: 'permanent', code: 'InvalidAMIID.NotFound' });
      expect(err.message).toContain('does not have this image');
      expect(err.message).toContain('umich');
    });

    it('an unknown instance type is permanent', async () => {
      const err = await expectComputeError(
        driver().runInstances({ clientToken: 'bad-type', imageId: IMAGE, instanceType: 'x9.mega', minCount: 1, maxCount: 1, tags: {} }),
      );
      expect(err).toMatchObject({ category: 'permanent', code: 'InvalidParameterValue' });
    });

    it('no room at the site is capacity', async () => {
      const small = spec('small', { capacity: { vcpus: 4, memoryMiB: 16384 } });
      emulator.upsertSite(small);
      const smallDriver = factory.forSite(connectionFor(base, small));
      const err = await expectComputeError(
        smallDriver.runInstances({ clientToken: 'too-many', imageId: IMAGE, instanceType: 'm5.large', minCount: 3, maxCount: 3, tags: {} }),
      );
      expect(err).toMatchObject({ category: 'capacity', code: 'InsufficientInstanceCapacity' });
      expect(emulator.instances('small')).toHaveLength(0);
    });

    it('a wrong secret is auth, and the message carries no credentials', async () => {
      const wrong = factory.forSite(connectionFor(base, site, { siteKey: 'umich-wrong', secretAccessKey: 'not-the-secret' }));
      const err = await expectComputeError(wrong.describeAvailabilityZones());
      expect(err).toMatchObject({ category: 'auth', code: 'AuthFailure' });
      expect(err.message).toContain('did not accept the credentials');
      expect(err.message).not.toContain('not-the-secret');
      expect(err.message).not.toContain(site.accessKeyId);
    });

    it('a closed port is transient (network)', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const unreachable = factory.forSite(connectionFor(`http://127.0.0.1:${port}`, site, { siteKey: 'closed' }));
      const err = await expectComputeError(unreachable.describeInstances({}));
      expect(err).toMatchObject({ category: 'transient', code: 'NETWORK' });
      expect(err.message).toContain('ECONNREFUSED');
    });

    it('a site that never answers is transient (timeout)', async () => {
      const silent = createServer(() => {
        // accept the request, never answer
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as AddressInfo;
      const impatient = new Ec2DriverFactory({ maxAttempts: 1, requestTimeoutMs: 200 });
      try {
        const err = await expectComputeError(
          impatient.forSite(connectionFor(`http://127.0.0.1:${port}`, site)).describeAvailabilityZones(),
        );
        expect(err).toMatchObject({ category: 'transient', code: 'TIMEOUT' });
      } finally {
        impatient.destroy();
        silent.closeAllConnections();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('a RunInstances answer the SDK cannot read (HTTP 200) is malformed: the outcome is unknown, and the instances are there to be found by tag', async () => {
      const oldDialect = spec('old-dialect', { faults: { malformedRunReply: true } });
      emulator.upsertSite(oldDialect);
      const dialect = factory.forSite(connectionFor(base, oldDialect));
      const tags = { 'skypool:request': 'req-old', 'skypool:attempt': '1' };
      const err = await expectComputeError(dialect.runInstances({ clientToken: 'old-1', imageId: IMAGE, instanceType: 'm5.large', minCount: 2, maxCount: 2, tags }));
      expect(err).toMatchObject({ category: 'malformed', code: 'MALFORMED_REPLY' });
      expect(err.message).toBe('RunInstances at site old-dialect: the site answered HTTP 200 with EC2 XML that the broker cannot read');
      expect(err.detail).toBe('unhandled schema type for InstanceId');
      expect((await dialect.describeInstances({ tags })).map((i) => i.state)).toEqual(['pending', 'pending']);
    });

    it('RequestLimitExceeded (503) is throttling, and a 503 Unavailable is retried by the SDK', async () => {
      const ec2Error = (code: string) =>
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${code} happened</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>`;
      let unavailableOnce = true;
      const proxy = await proxyServer(emulator, (action, res) => {
        if (action === 'DescribeInstances') {
          res.writeHead(503, { 'content-type': 'text/xml' }).end(ec2Error('RequestLimitExceeded'));
          return true;
        }
        if (action === 'DescribeAvailabilityZones' && unavailableOnce) {
          unavailableOnce = false;
          res.writeHead(503, { 'content-type': 'text/xml' }).end(ec2Error('Unavailable'));
          return true;
        }
        return false;
      });
      const retrying = new Ec2DriverFactory({ maxAttempts: 2 });
      try {
        const err = await expectComputeError(factory.forSite(connectionFor(proxy.url, site, { siteKey: 'throttled' })).describeInstances({}));
        expect(err).toMatchObject({ category: 'throttling', code: 'RequestLimitExceeded' });

        const zones = await retrying.forSite(connectionFor(proxy.url, site)).describeAvailabilityZones();
        expect(zones).toEqual(['us-west-2a', 'us-west-2b']);
        expect(proxy.actions.filter((a) => a === 'DescribeAvailabilityZones')).toHaveLength(2);
      } finally {
        retrying.destroy();
        await proxy.close();
      }
    });
  });
});

describe('Ec2DriverFactory', () => {
  const conn: SiteConnection = { siteKey: 's1', endpoint: 'http://127.0.0.1:1/s1', region: 'r', accessKeyId: 'AK', secretAccessKey: 'SK' };

  it('reuses the driver while endpoint, region and credentials stay the same', () => {
    const factory = new Ec2DriverFactory();
    const first = factory.forSite(conn);
    expect(factory.forSite({ ...conn })).toBe(first);
    expect(factory.forSite({ ...conn, secretAccessKey: 'rotated' })).not.toBe(first);
    const second = factory.forSite({ ...conn, secretAccessKey: 'rotated' });
    factory.forget('s1');
    expect(factory.forSite({ ...conn, secretAccessKey: 'rotated' })).not.toBe(second);
    factory.destroy();
  });

  it('rejects a page size EC2 would reject', () => {
    expect(() => new Ec2DriverFactory({ describePageSize: 4 })).toThrow(RangeError);
  });
});

describe('toComputeError', () => {
  const serviceError = (code: string, status: number, message = `${code} message`) =>
    Object.assign(new Error(message), { name: code, Code: code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

  it.each([
    ['InsufficientInstanceCapacity', 500, 'capacity'],
    ['InstanceLimitExceeded', 400, 'capacity'],
    ['InsufficientCapacity', 400, 'capacity'],
    ['RequestLimitExceeded', 503, 'throttling'],
    ['Throttling', 400, 'throttling'],
    ['InvalidAMIID.NotFound', 400, 'permanent'],
    ['InvalidAMIID.Malformed', 400, 'permanent'],
    ['InvalidParameterValue', 400, 'permanent'],
    ['InvalidParameterCombination', 400, 'permanent'],
    ['MissingParameter', 400, 'permanent'],
    ['Unsupported', 400, 'permanent'],
    ['UnsupportedOperation', 400, 'permanent'],
    ['InvalidAction', 400, 'permanent'],
    ['InvalidInstanceID.NotFound', 400, 'permanent'],
    ['InvalidInstanceID.Malformed', 400, 'permanent'],
    ['AuthFailure', 401, 'auth'],
    ['UnauthorizedOperation', 403, 'auth'],
    ['InvalidClientTokenId', 403, 'auth'],
    ['SignatureDoesNotMatch', 403, 'auth'],
    ['InternalError', 500, 'transient'],
    ['Unavailable', 503, 'transient'],
    ['SomethingNew', 400, 'transient'],
    ['SomethingNew', 502, 'transient'],
  ])('%s (HTTP %i) is %s', (code, status, category) => {
    const err = toComputeError(serviceError(code, status), { site: 'umich', operation: 'RunInstances' });
    expect(err).toMatchObject({ category, code });
    expect(err.message).toMatch(new RegExp(`^RunInstances at site umich: .+\\(${code.replace('.', '\\.')}, HTTP ${status}\\)`));
  });

  it('maps network errors and timeouts to transient with NETWORK / TIMEOUT', () => {
    expect(toComputeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({ category: 'transient', code: 'NETWORK' });
    expect(toComputeError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toMatchObject({ category: 'transient', code: 'NETWORK' });
    expect(toComputeError(Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }))).toMatchObject({ category: 'transient', code: 'NETWORK' });
    expect(toComputeError(Object.assign(new Error('slow'), { name: 'TimeoutError' }))).toMatchObject({ category: 'transient', code: 'TIMEOUT' });
    expect(toComputeError('weird')).toMatchObject({ category: 'transient', code: 'UNKNOWN' });
  });

  it('never repeats credentials or signatures from a site message', () => {
    const leaky = serviceError(
      'InvalidParameterValue',
      400,
      'bad request Credential=AKIAABCDEFGHIJKLMNOP/20260101/us-east-1/ec2/aws4_request, Signature=' + 'a'.repeat(64),
    );
    const err = toComputeError(leaky);
    expect(`${err.message} ${err.detail}`).not.toContain('AKIAABCDEFGHIJKLMNOP');
    expect(`${err.message} ${err.detail}`).not.toContain('a'.repeat(64));
  });

  it("keeps the site's own words out of the message, in a detail cut to 300 characters (for admins and logs)", () => {
    const err = toComputeError(serviceError('InvalidParameterValue', 400, `Value (x) for parameter foo is invalid. ${'z'.repeat(400)}`), { site: 'umich', operation: 'RunInstances' });
    expect(err.message).toBe('RunInstances at site umich: the site rejected a parameter value (InvalidParameterValue, HTTP 400)');
    expect(err.detail).toMatch(/^Value \(x\) for parameter foo is invalid\. z+\.\.\.$/);
    expect(err.detail!.length).toBeLessThanOrEqual(303);
    // a site decides its error code too: one that is no code is not repeated
    const odd = toComputeError(serviceError('DB password is hunter2', 400), { site: 'umich' });
    expect(odd.message).toBe('site umich: the site answered with an error the broker does not know (HTTP 400)');
    expect(odd.code).toBe('HTTP_400');
  });

  it('says what happened when the SDK cannot read the answer, never how to debug the SDK', () => {
    const hint = '\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.';
    const notXml = Object.assign(new Error(`@aws-sdk XML parse error: unexpected content.${hint}`), { $metadata: { httpStatusCode: 200 } });
    const unreadable = Object.assign(new Error(`@aws-sdk/core/protocols - xml deserializer unhandled schema type for InstanceId${hint}`), { $metadata: { httpStatusCode: 200 } });
    const notXmlError = Object.assign(new Error(`@aws-sdk XML parse error: unexpected content.${hint}`), { $metadata: { httpStatusCode: 400 } });
    expect(toComputeError(notXml, { site: 'umich', operation: 'RunInstances' })).toMatchObject({
      category: 'malformed',
      code: 'MALFORMED_REPLY',
      message: 'RunInstances at site umich: the site answered HTTP 200 with a body that is not EC2 XML',
    });
    expect(toComputeError(unreadable, { site: 'umich' }).message).toBe('site umich: the site answered HTTP 200 with EC2 XML that the broker cannot read');
    expect(toComputeError(notXmlError, { site: 'umich' }).message).toBe('site umich: the site answered HTTP 400 with a body that is not EC2 XML');
    for (const err of [notXml, unreadable, notXmlError].map((e) => toComputeError(e))) {
      expect(`${err.message} ${err.detail ?? ''}`).not.toMatch(/\$response|hidden field|@aws-sdk|deserializ/i);
    }
  });

  it('a success status with an error is a reply the SDK could not read: malformed, and no SDK internals in the message', () => {
    const unreadable = Object.assign(
      new Error('@aws-sdk/core/protocols - xml deserializer unhandled schema type for InstanceId\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'),
      { $metadata: { httpStatusCode: 200 } },
    );
    Object.defineProperty(unreadable, '$response', { value: { statusCode: 200 }, enumerable: false });
    const err = toComputeError(unreadable, { site: 'umich', operation: 'RunInstances' });
    expect(err).toMatchObject({ category: 'malformed', code: 'MALFORMED_REPLY' });
    expect(err.message).toBe('RunInstances at site umich: the site answered HTTP 200 with EC2 XML that the broker cannot read');
    // XML that does not parse at all, and a reply whose text the SDK kept
    const broken = Object.assign(new Error('Unclosed tag RunInstancesResponse'), { $metadata: { httpStatusCode: 200 }, $responseBodyText: '<RunInstancesResponse>' });
    expect(toComputeError(broken)).toMatchObject({ category: 'malformed', message: 'the site answered HTTP 200 with EC2 XML that the broker cannot read', detail: 'Unclosed tag RunInstancesResponse' });
  });

  it('passes a ComputeError through unchanged', () => {
    const original = new ComputeError('capacity', 'X', 'x');
    expect(toComputeError(original)).toBe(original);
  });
});
