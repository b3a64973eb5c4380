import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll, jest } from '@jest/globals';
import {
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { SignatureV4 } from '@smithy/signature-v4';
import express from 'express';
import { ManualClock } from '../../common/clock.js';
import { bearerToken, Ec2Emulator } from './ec2-emulator.js';
import { QueryParams } from './ec2-query.js';
import { escapeXml } from './ec2-xml.js';
import type { EmulatedSiteSpec } from './emulated-site.js';
import { NodeSha256 } from './sigv4-check.js';

const site = (name: string, overrides: Partial<EmulatedSiteSpec> = {}): EmulatedSiteSpec => ({
  name,
  region: 'us-east-1',
  accessKeyId: `AKID${name.toUpperCase()}`,
  secretAccessKey: `secret-of-${name}`,
  instanceTypes: [
    { name: 'c1.small', vcpus: 2, memoryMiB: 4096, gpus: 0 },
    { name: 'g1.large', vcpus: 8, memoryMiB: 32768, gpus: 1 },
  ],
  images: [{ imageId: 'ami-0123456789abcdef0', name: 'ubuntu-24.04' }],
  ...overrides,
});

const IMAGE = 'ami-0123456789abcdef0';

/** Signs and POSTs a raw EC2 Query request, as the SDK would, and returns the raw answer. */
async function rawCall(
  url: string,
  params: Record<string, string>,
  credentials: { accessKeyId: string; secretAccessKey: string; region?: string },
  tamper?: (body: string) => string,
): Promise<{ status: number; body: string; headers: Headers }> {
  const target = new URL(url.endsWith('/') ? url : `${url}/`);
  const body = new URLSearchParams({ Version: '2016-11-15', ...params }).toString();
  const signer = new SignatureV4({
    service: 'ec2',
    region: credentials.region ?? 'us-east-1',
    credentials,
    sha256: NodeSha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: target.hostname,
    port: Number(target.port),
    path: target.pathname,
    query: {},
    headers: { host: target.host, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const response = await fetch(target, {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body: tamper ? tamper(body) : body,
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

function sdkClient(endpoint: string, spec: EmulatedSiteSpec, secret = spec.secretAccessKey): EC2Client {
  return new EC2Client({
    endpoint,
    region: spec.region,
    credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: secret },
    maxAttempts: 1,
  });
}

const creds = (spec: EmulatedSiteSpec) => ({ accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey });

const LISTING_TOKEN = 'listing-token-0123456789';
const listingHeaders = { authorization: `Bearer ${LISTING_TOKEN}` };

describe('Ec2Emulator over HTTP', () => {
  const clock = new ManualClock();
  const emulator = new Ec2Emulator({ clock, authorizeListing: bearerToken(LISTING_TOKEN) });
  const umich = site('umich', { capacity: { vcpus: 16, memoryMiB: 65536, gpus: 1 } });
  let base: string;

  beforeAll(async () => {
    emulator.upsertSite(umich);
    emulator.upsertSite(site('wisc', { region: 'us-central-1', availabilityZones: ['us-central-1a', 'us-central-1b'] }));
    base = await emulator.listen(0);
  });
  afterAll(() => emulator.close());

  it('answers in EC2 XML with the 2016-11-15 namespace, a requestId and item lists', async () => {
    const run = await rawCall(`${base}/umich`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '1' }, creds(umich));
    expect(run.status).toBe(200);
    expect(run.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(run.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<RunInstancesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><reservationId>r-[0-9a-f]{17}<\/reservationId>/);
    expect(run.body).toMatch(/<instancesSet><item><instanceId>i-[0-9a-f]{17}<\/instanceId>/);
    expect(run.body).toContain('<instanceState><code>0</code><name>pending</name></instanceState>');
    expect(run.body).toContain('<groupSet/>');

    const described = await rawCall(`${base}/umich`, { Action: 'DescribeInstances' }, creds(umich));
    expect(described.body).toContain('<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">');
    expect(described.body).toMatch(/<reservationSet><item><reservationId>r-/);
    expect(described.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers errors in EC2's error document with the right status", async () => {
    const unknown = await rawCall(`${base}/umich`, { Action: 'RebootTheWorld' }, creds(umich));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>InvalidAction<\/Code><Message>The action RebootTheWorld is not valid for this web service.<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
    const missing = await rawCall(`${base}/umich`, { Action: 'RunInstances', InstanceType: 'c1.small', MinCount: '1', MaxCount: '1' }, creds(umich));
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('<Code>MissingParameter</Code>');
  });

  it('checks the SigV4 signature: unknown key, wrong secret, wrong region and a tampered body are AuthFailure (401)', async () => {
    const params = { Action: 'DescribeInstances' };
    const unknownKey = await rawCall(`${base}/umich`, params, { accessKeyId: 'AKIDNOBODY', secretAccessKey: umich.secretAccessKey });
    expect(unknownKey.status).toBe(401);
    expect(unknownKey.body).toContain('<Code>AuthFailure</Code>');

    const wrongSecret = await rawCall(`${base}/umich`, params, { accessKeyId: umich.accessKeyId, secretAccessKey: 'guess' });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body).toContain('<Code>AuthFailure</Code>');

    const wrongRegion = await rawCall(`${base}/umich`, params, { ...creds(umich), region: 'eu-west-1' });
    expect(wrongRegion.status).toBe(401);

    // Another site's (valid) credentials do not open this site.
    const otherSite = await rawCall(`${base}/umich`, params, creds(site('wisc')));
    expect(otherSite.status).toBe(401);

    const tampered = await rawCall(`${base}/umich`, { Action: 'TerminateInstances', InstanceId: 'i-0123456789abcdef0' }, creds(umich), (body) =>
      body.replace('i-0123456789abcdef0', 'i-0123456789abcdef1'),
    );
    expect(tampered.status).toBe(401);

    const unsigned = await fetch(`${base}/umich/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.text()).toContain('<Code>AuthFailure</Code>');
  });

  it('the SDK, given an endpoint with a path, POSTs to that path (plus a trailing slash)', async () => {
    const seen: string[] = [];
    const mounted = new Ec2Emulator({ clock, basePath: '/emulator' });
    mounted.upsertSite(umich);
    const server: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      mounted.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const client = sdkClient(`http://127.0.0.1:${port}/emulator/umich`, umich);
    try {
      const output = await client.send(new DescribeInstancesCommand({}));
      expect(output.Reservations).toEqual([]);
      expect(seen).toEqual(['POST /emulator/umich/']);
    } finally {
      client.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('works mounted in an Express app, where req.url loses the mount prefix but the signature covers it', async () => {
    const mounted = new Ec2Emulator({ clock, authorizeListing: bearerToken(LISTING_TOKEN) });
    mounted.upsertSite(umich);
    const app = express();
    app.use('/emulator', (req, res) => mounted.handle(req, res));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    const client = sdkClient(`http://127.0.0.1:${port}/emulator/umich`, umich);
    try {
      const run = await client.send(new RunInstancesCommand({ ImageId: IMAGE, InstanceType: 'c1.small' as _InstanceType, MinCount: 1, MaxCount: 1 }));
      expect(run.Instances).toHaveLength(1);
      const listing = await fetch(`http://127.0.0.1:${port}/emulator/umich/instances`, { headers: listingHeaders });
      expect(((await listing.json()) as unknown[]).length).toBe(1);
    } finally {
      client.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses clearly (500 InternalError, logged) when a body parser consumed the body before it', async () => {
    const mounted = new Ec2Emulator({ clock });
    mounted.upsertSite(umich);
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use('/emulator', (req, res) => mounted.handle(req, res));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const port = (server.address() as AddressInfo).port;
      const answer = await rawCall(`http://127.0.0.1:${port}/emulator/umich`, { Action: 'DescribeInstances' }, creds(umich));
      expect(answer.status).toBe(500);
      expect(answer.body).toContain('<Code>InternalError</Code>');
      expect(String(logged.mock.calls[0]?.[1])).toMatch(/mount the emulator before it/);
    } finally {
      logged.mockRestore();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers 404 for a site it does not serve and for unknown paths', async () => {
    const noSite = await rawCall(`${base}/nowhere`, { Action: 'DescribeInstances' }, creds(umich));
    expect(noSite.status).toBe(404);
    expect(noSite.body).toContain('<Code>NotFound</Code>');
    const noPath = await fetch(`${base}/umich/elsewhere`);
    expect(noPath.status).toBe(404);
  });

  it("lists a site's instances as JSON, only to a caller with the listing's token (emulator only)", async () => {
    const refused = await fetch(`${base}/umich/instances`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refused.json()).toEqual({ error: 'the instance listing needs Authorization: Bearer <the admin token>' });
    expect((await fetch(`${base}/umich/instances`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    expect((await fetch(`${base}/umich/instances`, { headers: { authorization: LISTING_TOKEN } })).status).toBe(401);
    const response = await fetch(`${base}/umich/instances`, { headers: listingHeaders });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const listing = (await response.json()) as Array<Record<string, unknown>>;
    expect(listing.length).toBeGreaterThan(0);
    // Network settings not asked for are left out (publicIp, subnetId, keyName).
    expect(Object.keys(listing[0]).sort()).toEqual(['gpus', 'imageId', 'instanceId', 'instanceType', 'launchTime', 'memoryMiB', 'privateIp', 'securityGroupIds', 'state', 'tags', 'vcpus'].sort());
    expect(listing[0].privateIp).toMatch(/^127\.\d+\.\d+\.\d+$/);
  });

  it('refuses the listing altogether when it was given no way to check callers', async () => {
    const closed = new Ec2Emulator({ clock });
    closed.upsertSite(umich);
    const closedBase = await closed.listen(0);
    try {
      expect((await fetch(`${closedBase}/umich/instances`, { headers: listingHeaders })).status).toBe(401);
    } finally {
      await closed.close();
    }
  });

  it('gives every instance a private address of its own on the loopback network (127.0.0.0/8), never the broker\'s 127.0.0.1', async () => {
    const wisc = site('wisc', { region: 'us-central-1', availabilityZones: ['us-central-1a', 'us-central-1b'] });
    for (const spec of [umich, wisc]) {
      const answer = await rawCall(`${base}/${spec.name}`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '3', MaxCount: '3' }, { ...creds(spec), region: spec.region });
      expect(answer.status).toBe(200);
    }
    const addresses = ['umich', 'wisc'].flatMap((name) => emulator.instances(name).map((instance) => instance.privateIp));
    expect(addresses.length).toBeGreaterThanOrEqual(6);
    for (const address of addresses) expect(address).toMatch(/^127\.(\d+)\.(\d+)\.(\d+)$/);
    expect(addresses).not.toContain('127.0.0.1');
    expect(new Set(addresses).size).toBe(addresses.length);
  });

  it('RunInstances: validation errors in EC2 terms', async () => {
    const call = (params: Record<string, string>) =>
      rawCall(`${base}/umich`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '1', ...params }, creds(umich));
    const codeOf = (body: string) => /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
    expect(codeOf((await call({ ImageId: 'ami-00000000' })).body)).toBe('InvalidAMIID.NotFound');
    expect(codeOf((await call({ ImageId: 'debian' })).body)).toBe('InvalidAMIID.Malformed');
    expect(codeOf((await call({ InstanceType: 'z9.huge' })).body)).toBe('InvalidParameterValue');
    expect(codeOf((await call({ MinCount: '3', MaxCount: '2' })).body)).toBe('InvalidParameterValue');
    expect(codeOf((await call({ MinCount: '' })).body)).toBe('MissingParameter');
    expect(codeOf((await call({ UserData: 'not base64!' })).body)).toBe('InvalidParameterValue');
    expect(codeOf((await call({ 'Placement.AvailabilityZone': 'us-east-1z' })).body)).toBe('InvalidParameterValue');
    expect(codeOf((await call({ 'TagSpecification.1.ResourceType': 'instance', 'TagSpecification.1.Tag.1.Key': 'aws:x', 'TagSpecification.1.Tag.1.Value': 'y' })).body)).toBe('InvalidParameterValue');
  });

  it('RunInstances: starts as many as fit up to MaxCount, and fails below MinCount with InsufficientInstanceCapacity', async () => {
    const spec = site('capped', { capacity: { vcpus: 8, memoryMiB: 65536, instances: 10 } });
    emulator.upsertSite(spec);
    const partial = await rawCall(`${base}/capped`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '10' }, creds(spec));
    expect(partial.status).toBe(200);
    expect(emulator.instances('capped')).toHaveLength(4);
    const none = await rawCall(`${base}/capped`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '1' }, creds(spec));
    expect(none.status).toBe(500);
    expect(none.body).toContain('<Code>InsufficientInstanceCapacity</Code>');
    // Terminating gives the capacity back at once.
    const first = emulator.instances('capped')[0].instanceId;
    await rawCall(`${base}/capped`, { Action: 'TerminateInstances', 'InstanceId.1': first }, creds(spec));
    const again = await rawCall(`${base}/capped`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '1' }, creds(spec));
    expect(again.status).toBe(200);
  });

  it('RunInstances: a ClientToken reused with other parameters is IdempotentParameterMismatch', async () => {
    const params = { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '1', ClientToken: 'mismatch-1' };
    const wisc = { ...creds(site('wisc')), region: 'us-central-1' };
    expect((await rawCall(`${base}/wisc`, params, wisc)).status).toBe(200);
    const other = await rawCall(`${base}/wisc`, { ...params, MaxCount: '2' }, wisc);
    expect(other.status).toBe(400);
    expect(other.body).toContain('<Code>IdempotentParameterMismatch</Code>');
  });

  it('DescribeInstances: filters, ids, paging and their errors', async () => {
    const spec = site('filters');
    emulator.upsertSite(spec);
    const c = creds(spec);
    const run = (tagValue: string) =>
      rawCall(`${base}/filters`, {
        Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '2', MaxCount: '2',
        'TagSpecification.1.ResourceType': 'instance', 'TagSpecification.1.Tag.1.Key': 'team', 'TagSpecification.1.Tag.1.Value': tagValue,
      }, c);
    await run('alpha');
    await run('beta');
    const ids = (body: string) => [...body.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map((m) => m[1]);
    const describe = (params: Record<string, string>) => rawCall(`${base}/filters`, { Action: 'DescribeInstances', ...params }, c);

    expect(ids((await describe({ 'Filter.1.Name': 'tag:team', 'Filter.1.Value.1': 'alpha' })).body)).toHaveLength(2);
    expect(ids((await describe({ 'Filter.1.Name': 'tag:team', 'Filter.1.Value.1': 'alpha', 'Filter.1.Value.2': 'beta' })).body)).toHaveLength(4);
    expect(ids((await describe({ 'Filter.1.Name': 'tag:team', 'Filter.1.Value.1': 'b*' })).body)).toHaveLength(2);
    expect(ids((await describe({ 'Filter.1.Name': 'tag-key', 'Filter.1.Value.1': 'team' })).body)).toHaveLength(4);
    expect(ids((await describe({ 'Filter.1.Name': 'instance-state-name', 'Filter.1.Value.1': 'running' })).body)).toHaveLength(0);
    expect(ids((await describe({ 'Filter.1.Name': 'instance-state-name', 'Filter.1.Value.1': 'pending' })).body)).toHaveLength(4);

    const all = ids((await describe({})).body);
    expect(ids((await describe({ 'Filter.1.Name': 'instance-id', 'Filter.1.Value.1': all[1] })).body)).toEqual([all[1]]);
    expect(ids((await describe({ 'InstanceId.1': all[2], 'InstanceId.2': all[0] })).body).sort()).toEqual([all[0], all[2]].sort());

    const page1 = await describe({ MaxResults: '5', 'Filter.1.Name': 'tag-key', 'Filter.1.Value.1': 'team' });
    expect(ids(page1.body)).toHaveLength(4);
    expect(page1.body).not.toContain('<nextToken>');

    const codeOf = async (params: Record<string, string>) => /<Code>([^<]+)<\/Code>/.exec((await describe(params)).body)?.[1];
    expect(await codeOf({ 'InstanceId.1': 'i-0000000000000000a' })).toBe('InvalidInstanceID.NotFound');
    expect(await codeOf({ 'InstanceId.1': 'banana' })).toBe('InvalidInstanceID.Malformed');
    expect(await codeOf({ MaxResults: '4' })).toBe('InvalidParameterValue');
    expect(await codeOf({ MaxResults: '1001' })).toBe('InvalidParameterValue');
    expect(await codeOf({ MaxResults: '5', 'InstanceId.1': all[0] })).toBe('InvalidParameterCombination');
    expect(await codeOf({ 'Filter.1.Name': 'colour', 'Filter.1.Value.1': 'red' })).toBe('InvalidParameterValue');
    expect(await codeOf({ NextToken: 'garbage' })).toBe('InvalidParameterValue');

    const missing = await describe({ 'InstanceId.1': 'i-0000000000000000a', 'InstanceId.2': 'i-0000000000000000b' });
    expect(missing.body).toContain('The instance IDs &apos;i-0000000000000000a, i-0000000000000000b&apos; do not exist');
  });

  it('instances go pending -> running, and terminated ones shutting-down -> terminated -> gone after an hour', async () => {
    const spec = site('lifecycle', { pendingSeconds: 30, shuttingDownSeconds: 5 });
    emulator.upsertSite(spec);
    await rawCall(`${base}/lifecycle`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '1' }, creds(spec));
    const [instance] = emulator.instances('lifecycle');
    expect(instance.state).toBe('pending');
    clock.advance(29_000);
    expect(emulator.instances('lifecycle')[0].state).toBe('pending');
    clock.advance(1_000);
    expect(emulator.instances('lifecycle')[0].state).toBe('running');

    const terminate = await rawCall(`${base}/lifecycle`, { Action: 'TerminateInstances', 'InstanceId.1': instance.instanceId }, creds(spec));
    expect(terminate.body).toContain(
      `<instancesSet><item><instanceId>${instance.instanceId}</instanceId><currentState><code>32</code><name>shutting-down</name></currentState><previousState><code>16</code><name>running</name></previousState></item></instancesSet>`,
    );
    clock.advance(5_000);
    const again = await rawCall(`${base}/lifecycle`, { Action: 'TerminateInstances', 'InstanceId.1': instance.instanceId }, creds(spec));
    expect(again.status).toBe(200);
    expect(again.body).toContain('<currentState><code>48</code><name>terminated</name></currentState><previousState><code>48</code><name>terminated</name></previousState>');

    clock.advance(59 * 60_000);
    expect(emulator.instances('lifecycle')).toHaveLength(1);
    clock.advance(60_000);
    expect(emulator.instances('lifecycle')).toHaveLength(0);
    const gone = await rawCall(`${base}/lifecycle`, { Action: 'DescribeInstances', 'InstanceId.1': instance.instanceId }, creds(spec));
    expect(gone.body).toContain('<Code>InvalidInstanceID.NotFound</Code>');
  });

  it('CreateTags, DescribeImages and DescribeAvailabilityZones', async () => {
    const c = creds(umich);
    const [instance] = emulator.instances('umich');
    const tagged = await rawCall(`${base}/umich`, { Action: 'CreateTags', 'ResourceId.1': instance.instanceId, 'Tag.1.Key': 'owner', 'Tag.1.Value': 'a<b>&"c\'' }, c);
    expect(tagged.body).toContain('<return>true</return>');
    expect(emulator.instances('umich')[0].tags.owner).toBe('a<b>&"c\'');
    const described = await rawCall(`${base}/umich`, { Action: 'DescribeInstances', 'InstanceId.1': instance.instanceId }, c);
    expect(described.body).toContain('<tagSet><item><key>owner</key><value>a&lt;b&gt;&amp;&quot;c&apos;</value></item></tagSet>');
    const badTag = await rawCall(`${base}/umich`, { Action: 'CreateTags', 'ResourceId.1': 'i-0000000000000000a', 'Tag.1.Key': 'k' }, c);
    expect(badTag.body).toContain('<Code>InvalidInstanceID.NotFound</Code>');

    const images = await rawCall(`${base}/umich`, { Action: 'DescribeImages', 'ImageId.1': IMAGE, 'Owner.1': 'self' }, c);
    expect(images.body).toContain(`<imagesSet><item><imageId>${IMAGE}</imageId>`);
    expect(images.body).toContain('<name>ubuntu-24.04</name>');
    const noImage = await rawCall(`${base}/umich`, { Action: 'DescribeImages', 'ImageId.1': 'ami-00000000' }, c);
    expect(noImage.body).toContain('<Code>InvalidAMIID.NotFound</Code>');

    const wisc = site('wisc', { region: 'us-central-1' });
    const zones = await rawCall(`${base}/wisc`, { Action: 'DescribeAvailabilityZones' }, { ...creds(wisc), region: 'us-central-1' });
    expect([...zones.body.matchAll(/<zoneName>([^<]+)<\/zoneName>/g)].map((m) => m[1])).toEqual(['us-central-1a', 'us-central-1b']);
    const defaultZone = await rawCall(`${base}/umich`, { Action: 'DescribeAvailabilityZones' }, c);
    expect(defaultZone.body).toContain('<zoneName>us-east-1a</zoneName><zoneState>available</zoneState><regionName>us-east-1</regionName>');
  });

  it('upsertSite is idempotent and keeps instances while updating the spec (e.g. rotated credentials)', async () => {
    const before = emulator.instances('umich').length;
    emulator.upsertSite({ ...umich, secretAccessKey: 'rotated' });
    expect(emulator.instances('umich')).toHaveLength(before);
    expect((await rawCall(`${base}/umich`, { Action: 'DescribeInstances' }, creds(umich))).status).toBe(401);
    expect((await rawCall(`${base}/umich`, { Action: 'DescribeInstances' }, { ...creds(umich), secretAccessKey: 'rotated' })).status).toBe(200);
    emulator.upsertSite(umich);
  });
});

describe('Ec2Emulator state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skypool-emulator-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps instances and ClientTokens across emulator restarts', async () => {
    const stateFile = join(dir, 'nested', 'emulator-state.json');
    const clock = new ManualClock();
    const spec = site('persist');
    const first = new Ec2Emulator({ clock, stateFile });
    first.upsertSite(spec);
    const base1 = await first.listen();
    const params = {
      Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '2', MaxCount: '2', ClientToken: 'restart-token',
      'TagSpecification.1.ResourceType': 'instance', 'TagSpecification.1.Tag.1.Key': 'skypool:request', 'TagSpecification.1.Tag.1.Value': 'req-1',
    };
    const firstRun = await rawCall(`${base1}/persist`, params, creds(spec));
    expect(firstRun.status).toBe(200);
    await first.close();
    const ids = first.instances('persist').map((instance) => instance.instanceId);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).sites.persist.instances).toHaveLength(2);

    const second = new Ec2Emulator({ clock, stateFile });
    second.upsertSite(spec);
    const base2 = await second.listen();
    try {
      expect(second.instances('persist').map((instance) => instance.instanceId)).toEqual(ids);
      expect(second.instances('persist')[0].tags).toEqual({ 'skypool:request': 'req-1' });
      const replay = await rawCall(`${base2}/persist`, params, creds(spec));
      expect([...replay.body.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map((m) => m[1])).toEqual(ids);
      expect(second.instances('persist')).toHaveLength(2);

      // A site that was not upserted yet keeps its stored state through other sites' writes.
      const third = new Ec2Emulator({ clock, stateFile });
      third.upsertSite(site('other'));
      const otherBase = await third.listen();
      await rawCall(`${otherBase}/other`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '1' }, creds(site('other')));
      await third.close();
      const stored = JSON.parse(readFileSync(stateFile, 'utf8')).sites;
      expect(stored.persist.instances).toHaveLength(2);
      expect(stored.other.instances).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('has written the state (0600, in folders it makes 0700) by the time RunInstances is answered', async () => {
    const stateFile = join(dir, 'durable', 'deeper', 'emulator-state.json');
    const spec = site('durable');
    const emulator = new Ec2Emulator({ clock: new ManualClock(), stateFile });
    emulator.upsertSite(spec);
    const emulatorBase = await emulator.listen();
    try {
      const answer = await rawCall(`${emulatorBase}/durable`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '1' }, creds(spec));
      const [instanceId] = [...answer.body.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map((m) => m[1]);
      // read at once, as a process restarted right after a SIGKILL would
      expect(JSON.parse(readFileSync(stateFile, 'utf8')).sites.durable.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([instanceId]);
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'durable')).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, 'durable', 'deeper')).mode & 0o777).toBe(0o700);
    } finally {
      await emulator.close();
    }
  });

  it('writes the state of RunInstances calls that arrive together in a few writes, not one each', async () => {
    const stateFile = join(dir, 'batched.json');
    const spec = site('batched', { capacity: { vcpus: 1000, memoryMiB: 4_000_000, gpus: 0 } });
    const emulator = new Ec2Emulator({ clock: new ManualClock(), stateFile });
    emulator.upsertSite(spec);
    const emulatorBase = await emulator.listen();
    try {
      const calls = 40;
      const before = emulator.stateWrites;
      const answers = await Promise.all(
        Array.from({ length: calls }, () => rawCall(`${emulatorBase}/batched`, { Action: 'RunInstances', ImageId: IMAGE, InstanceType: 'c1.small', MinCount: '1', MaxCount: '1' }, creds(spec))),
      );
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      expect(JSON.parse(readFileSync(stateFile, 'utf8')).sites.batched.instances).toHaveLength(calls);
      const writes = emulator.stateWrites - before;
      expect(writes).toBeGreaterThanOrEqual(1);
      expect(writes).toBeLessThan(calls / 2);
    } finally {
      await emulator.close();
    }
  });

  it('names the file when it cannot read it', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{not json');
    expect(() => new Ec2Emulator({ stateFile: bad })).toThrow(/bad\.json is not valid JSON/);
  });
});

/** The EC2 error code, HTTP status and message of a call that must fail. */
async function sdkFailure(call: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await call;
  } catch (err) {
    const error = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
  }
  throw new Error('expected the call to fail');
}

describe('Ec2Emulator DescribeInstanceTypes through the SDK', () => {
  const emulator = new Ec2Emulator({ clock: new ManualClock() });
  const spec = site('types', {
    instanceTypes: [
      { name: 'c1.small', vcpus: 2, memoryMiB: 4096 },
      { name: 'c1.medium', vcpus: 4, memoryMiB: 8192 },
      { name: 'c1.large', vcpus: 8, memoryMiB: 16384 },
      { name: 'm1.large', vcpus: 8, memoryMiB: 32768 },
      { name: 'm1.xlarge', vcpus: 16, memoryMiB: 65536 },
      { name: 'g1.large', vcpus: 8, memoryMiB: 32768, gpus: 1 },
      { name: 'g1.xlarge', vcpus: 16, memoryMiB: 65536, gpus: 4 },
    ],
  });
  let client: EC2Client;

  beforeAll(async () => {
    emulator.upsertSite(spec);
    client = sdkClient(`${await emulator.listen(0)}/types`, spec);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  it('describes vCPUs, memory and GPUs in the shape the SDK parses', async () => {
    const output = await client.send(new DescribeInstanceTypesCommand({}));
    expect(output.NextToken).toBeUndefined();
    expect(output.InstanceTypes?.map((type) => type.InstanceType)).toEqual(spec.instanceTypes.map((type) => type.name));
    const [small] = output.InstanceTypes ?? [];
    expect(small).toMatchObject({ InstanceType: 'c1.small', VCpuInfo: { DefaultVCpus: 2 }, MemoryInfo: { SizeInMiB: 4096 } });
    expect(small.GpuInfo).toBeUndefined();
    const gpu = output.InstanceTypes?.find((type) => String(type.InstanceType) === 'g1.xlarge');
    expect(gpu).toMatchObject({ VCpuInfo: { DefaultVCpus: 16 }, MemoryInfo: { SizeInMiB: 65536 }, GpuInfo: { Gpus: [{ Count: 4 }] } });
    expect(gpu?.ProcessorInfo?.SupportedArchitectures).toEqual(['x86_64']);
  });

  it('picks types by InstanceType.N and by filters, and rejects unknown types', async () => {
    const named = await client.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['g1.large' as _InstanceType, 'c1.small' as _InstanceType] }));
    expect(named.InstanceTypes?.map((type) => type.InstanceType)).toEqual(['c1.small', 'g1.large']);

    const names = async (filters: Array<{ Name: string; Values: string[] }>) =>
      (await client.send(new DescribeInstanceTypesCommand({ Filters: filters }))).InstanceTypes?.map((type) => type.InstanceType);
    expect(await names([{ Name: 'instance-type', Values: ['g1.*'] }])).toEqual(['g1.large', 'g1.xlarge']);
    expect(await names([{ Name: 'vcpu-info.default-vcpus', Values: ['8'] }, { Name: 'memory-info.size-in-mib', Values: ['32768'] }])).toEqual(['m1.large', 'g1.large']);

    expect(await sdkFailure(client.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['z9.huge' as _InstanceType, 'c1.small' as _InstanceType] })))).toEqual({
      name: 'InvalidInstanceType',
      status: 400,
      message: 'The following supplied instance types do not exist: [z9.huge]',
    });
    expect((await sdkFailure(client.send(new DescribeInstanceTypesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })))).name).toBe('InvalidParameterValue');
  });

  it('pages with MaxResults (5 to 100) and NextToken', async () => {
    const first = await client.send(new DescribeInstanceTypesCommand({ MaxResults: 5 }));
    expect(first.InstanceTypes).toHaveLength(5);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await client.send(new DescribeInstanceTypesCommand({ MaxResults: 5, NextToken: first.NextToken }));
    expect(second.InstanceTypes?.map((type) => type.InstanceType)).toEqual(['g1.large', 'g1.xlarge']);
    expect(second.NextToken).toBeUndefined();

    for (const MaxResults of [4, 101]) {
      expect((await sdkFailure(client.send(new DescribeInstanceTypesCommand({ MaxResults }))))).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
    }
    expect((await sdkFailure(client.send(new DescribeInstanceTypesCommand({ NextToken: 'garbage' })))).name).toBe('InvalidParameterValue');
  });
});

describe('Ec2Emulator network settings on RunInstances', () => {
  const clock = new ManualClock();
  const dir = mkdtempSync(join(tmpdir(), 'skypool-emulator-network-'));
  const stateFile = join(dir, 'state.json');
  const emulator = new Ec2Emulator({ clock, stateFile, authorizeListing: bearerToken(LISTING_TOKEN) });
  const spec = site('net', { securityGroups: ['sg-0a1', 'sg-0b2'], subnets: ['subnet-0c3', 'subnet-0d4'], keyPairs: ['lab-key'] });
  let base: string;
  let client: EC2Client;
  const run = (input: Partial<RunInstancesCommandInput>) =>
    client.send(new RunInstancesCommand({ ImageId: IMAGE, InstanceType: 'c1.small' as _InstanceType, MinCount: 1, MaxCount: 1, ...input }));

  beforeAll(async () => {
    emulator.upsertSite(spec);
    base = await emulator.listen(0);
    client = sdkClient(`${base}/net`, spec);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('instance-level security groups, subnet and key pair come back through the SDK', async () => {
    const output = await run({ SecurityGroupIds: ['sg-0a1', 'sg-0b2'], SubnetId: 'subnet-0c3', KeyName: 'lab-key' });
    const [instance] = output.Instances ?? [];
    expect(instance.SecurityGroups?.map((group) => group.GroupId)).toEqual(['sg-0a1', 'sg-0b2']);
    expect(instance).toMatchObject({ SubnetId: 'subnet-0c3', KeyName: 'lab-key' });
    expect(instance.PublicIpAddress).toBeUndefined();
    expect(emulator.instances('net')[0]).toMatchObject({ securityGroupIds: ['sg-0a1', 'sg-0b2'], subnetId: 'subnet-0c3', keyName: 'lab-key', publicIp: undefined });
  });

  it('a network interface with a public address: one unique loopback address per instance, given back at termination', async () => {
    const withInterface = (count: number) =>
      run({
        MinCount: count,
        MaxCount: count,
        KeyName: 'lab-key',
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0d4', Groups: ['sg-0b2'], AssociatePublicIpAddress: true }],
      });
    const output = await withInterface(2);
    const addresses = output.Instances?.map((instance) => instance.PublicIpAddress) as string[];
    for (const address of addresses) expect(address).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(new Set([...addresses, ...emulator.instances('net').map((instance) => instance.privateIp)]).size).toBe(emulator.instances('net').length + 2);
    expect(output.Instances?.[0]).toMatchObject({ SubnetId: 'subnet-0d4', KeyName: 'lab-key', SecurityGroups: [{ GroupId: 'sg-0b2' }] });

    const described = await client.send(new DescribeInstancesCommand({ InstanceIds: output.Instances?.map((instance) => instance.InstanceId as string) }));
    expect(described.Reservations?.[0].Instances?.map((instance) => instance.PublicIpAddress)).toEqual(addresses);

    const listing = (await (await fetch(`${base}/net/instances`, { headers: listingHeaders })).json()) as Array<Record<string, unknown>>;
    expect(listing.find((entry) => entry.instanceId === output.Instances?.[0].InstanceId)).toMatchObject({
      publicIp: addresses[0],
      subnetId: 'subnet-0d4',
      securityGroupIds: ['sg-0b2'],
      keyName: 'lab-key',
    });

    await client.send(new TerminateInstancesCommand({ InstanceIds: [output.Instances?.[0].InstanceId as string] }));
    expect(emulator.instances('net').find((instance) => instance.instanceId === output.Instances?.[0].InstanceId)?.publicIp).toBeUndefined();
    const again = await withInterface(1);
    expect(again.Instances?.[0].PublicIpAddress).toBe(addresses[0]);
  });

  it('DescribeInstances filters subnet-id, key-name, instance.group-id and ip-address', async () => {
    const ids = async (Name: string, Values: string[]) =>
      (await client.send(new DescribeInstancesCommand({ Filters: [{ Name, Values }] }))).Reservations?.flatMap(
        (reservation) => reservation.Instances?.map((instance) => instance.InstanceId) ?? [],
      );
    const all = emulator.instances('net');
    const idsWhere = (test: (instance: (typeof all)[number]) => boolean) => all.filter(test).map((instance) => instance.instanceId);
    expect(await ids('subnet-id', ['subnet-0c3'])).toEqual(idsWhere((instance) => instance.subnetId === 'subnet-0c3'));
    expect(await ids('key-name', ['lab-key'])).toHaveLength(all.length);
    expect(await ids('instance.group-id', ['sg-0a1'])).toEqual(idsWhere((instance) => instance.securityGroupIds.includes('sg-0a1')));
    expect(await ids('instance.group-id', ['sg-0b2'])).toHaveLength(all.length);
    const [first, second] = all.flatMap((instance) => (instance.publicIp ? [instance.publicIp] : []));
    expect(await ids('ip-address', [second!])).toEqual(idsWhere((instance) => instance.publicIp === second));
    expect(await ids('ip-address', [`${first!.split('.').slice(0, 3).join('.')}.*`])).toHaveLength(2);
  });

  it("rejects EC2's invalid combinations and unknown groups, subnets and key pairs", async () => {
    const before = emulator.instances('net').length;
    const networkInterface = { DeviceIndex: 0, SubnetId: 'subnet-0c3' };
    expect(await sdkFailure(run({ SecurityGroupIds: ['sg-0a1'], NetworkInterfaces: [networkInterface] }))).toEqual({
      name: 'InvalidParameterCombination',
      status: 400,
      message: 'Network interfaces and an instance-level security groups may not be specified on the same request',
    });
    expect(await sdkFailure(run({ SubnetId: 'subnet-0c3', NetworkInterfaces: [networkInterface] }))).toEqual({
      name: 'InvalidParameterCombination',
      status: 400,
      message: 'Network interfaces and an instance-level subnet ID may not be specified on the same request',
    });
    expect(await sdkFailure(run({ NetworkInterfaces: [{ DeviceIndex: 1, SubnetId: 'subnet-0c3', AssociatePublicIpAddress: true }] }))).toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('DeviceIndex 0'),
    });
    expect(await sdkFailure(run({ SecurityGroupIds: ['sg-0a1', 'sg-0ff'] }))).toEqual({
      name: 'InvalidGroup.NotFound',
      status: 400,
      message: "The security group 'sg-0ff' does not exist",
    });
    expect(await sdkFailure(run({ NetworkInterfaces: [{ DeviceIndex: 0, Groups: ['sg-0ee'] }] }))).toMatchObject({ name: 'InvalidGroup.NotFound' });
    expect(await sdkFailure(run({ SubnetId: 'subnet-0ff' }))).toEqual({
      name: 'InvalidSubnetID.NotFound',
      status: 400,
      message: "The subnet ID 'subnet-0ff' does not exist",
    });
    expect(await sdkFailure(run({ NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0ff' }] }))).toMatchObject({ name: 'InvalidSubnetID.NotFound' });
    expect(await sdkFailure(run({ KeyName: 'someone-else' }))).toEqual({
      name: 'InvalidKeyPair.NotFound',
      status: 400,
      message: "The key pair 'someone-else' does not exist",
    });
    expect(emulator.instances('net')).toHaveLength(before);

    // Without lists in the spec, a site takes any group, subnet and key pair.
    const open = site('open-net');
    emulator.upsertSite(open);
    const openClient = sdkClient(`${base}/open-net`, open);
    try {
      const output = await openClient.send(
        new RunInstancesCommand({ ImageId: IMAGE, InstanceType: 'c1.small' as _InstanceType, MinCount: 1, MaxCount: 1, SecurityGroupIds: ['sg-0any'], SubnetId: 'subnet-0any', KeyName: 'any' }),
      );
      expect(output.Instances?.[0]).toMatchObject({ SubnetId: 'subnet-0any', KeyName: 'any', SecurityGroups: [{ GroupId: 'sg-0any' }] });
    } finally {
      openClient.destroy();
    }
  });

  it('keeps the network settings in the state file, and loads state files written before them', async () => {
    const stored = JSON.parse(readFileSync(stateFile, 'utf8')).sites.net.instances as Array<Record<string, unknown>>;
    expect(stored.find((instance) => instance.publicIp !== undefined && instance.subnetId === 'subnet-0d4')).toMatchObject({ securityGroupIds: ['sg-0b2'], keyName: 'lab-key' });
    const reloaded = new Ec2Emulator({ clock, stateFile });
    reloaded.upsertSite(spec);
    expect(reloaded.instances('net')).toEqual(emulator.instances('net'));

    // An instance as an older emulator stored it, without any of the later fields.
    const oldFile = join(dir, 'old-state.json');
    const { securityGroupIds: _groups, subnetId: _subnet, keyName: _key, publicIp: _ip, ...oldInstance } = stored[0];
    // Its ClientToken's fingerprint is of the request parameters an older emulator knew.
    const clientTokens = {
      'old-token': {
        reservationId: oldInstance.reservationId,
        instanceIds: [oldInstance.instanceId],
        fingerprint: JSON.stringify({ imageId: IMAGE, instanceType: 'c1.small', minCount: 1, maxCount: 1, tags: {} }),
      },
    };
    writeFileSync(oldFile, JSON.stringify({ version: 1, sites: { net: { instances: [oldInstance], clientTokens, nextSeq: 2, nextHost: 11 } } }));
    const old = new Ec2Emulator({ clock, stateFile: oldFile });
    old.upsertSite(spec);
    expect(old.instances('net')[0]).toMatchObject({ instanceId: oldInstance.instanceId, securityGroupIds: [], subnetId: undefined, keyName: undefined, publicIp: undefined });
    const oldBase = await old.listen(0);
    const oldClient = sdkClient(`${oldBase}/net`, spec);
    try {
      const described = await oldClient.send(new DescribeInstancesCommand({}));
      expect(described.Reservations?.[0].Instances?.[0]).toMatchObject({ InstanceId: oldInstance.instanceId, SecurityGroups: [] });
      const replay = await oldClient.send(
        new RunInstancesCommand({ ImageId: IMAGE, InstanceType: 'c1.small' as _InstanceType, MinCount: 1, MaxCount: 1, ClientToken: 'old-token' }),
      );
      expect(replay.Instances?.map((instance) => instance.InstanceId)).toEqual([oldInstance.instanceId]);
    } finally {
      oldClient.destroy();
      await old.close();
    }
  });
});

describe('EC2 query parsing and XML escaping', () => {
  it('parses Name.N and Name.member.N lists in numeric order, and nested structures', () => {
    const params = QueryParams.parse(
      new URLSearchParams('InstanceId.10=c&InstanceId.2=b&InstanceId.1=a&Other.member.2=y&Other.member.1=x&Filter.2.Name=n2&Filter.2.Value.1=v&Filter.1.Name=n1&Filter.1.Value.2=w2&Filter.1.Value.1=w1'),
    );
    expect(params.list('InstanceId')).toEqual(['a', 'b', 'c']);
    expect(params.list('Other')).toEqual(['x', 'y']);
    expect(params.structs('Filter').map((f) => [f.get('Name'), f.list('Value')])).toEqual([
      ['n1', ['w1', 'w2']],
      ['n2', ['v']],
    ]);
  });

  it('escapes markup and drops characters XML cannot carry', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('bell\u0007')).toBe('bell\uFFFD');
  });
});
