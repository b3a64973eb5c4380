import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ec2Emulator } from '../src/compute/emulator/index.js';
import { ADMIN_TOKEN, eventually, SECRET_KEY } from './helpers/broker.js';
import { spawnBroker, type BrokerProcess } from './helpers/broker-process.js';
import { runCli } from './helpers/cli.js';
import { createProject, projectWithAllocation, registerSite, submitRequest } from './helpers/fixtures.js';
import { GraphqlClient } from './helpers/graphql-client.js';
import { createTestDatabase, databaseKind, prepareDataFolder, type TestDatabase } from './helpers/test-database.js';

/**
 * A site admin's whole day with a site, through the `skypool` CLI and the API, against a broker
 * process and a stand-alone emulated cloud: apply a YAML descriptor (dry run first), see the site
 * HEALTHY, drain it, try to remove it while it runs something, remove it. Then: the site's secret
 * and the broker's key appear in no API answer and no log line.
 */
const LAB_SECRET = 'lab-secret-Zq8vW3nR5tY7uI9oP1aS';
const descriptor = (name: string, institution: string, endpoint: string, vcpus = 32) => `name: ${name}
institution: ${institution}
endpoint: ${endpoint}
region: RegionOne
availabilityZones: [nova]
accessKeyId: env:SKYPOOL_SITE_LAB_KEY
secretAccessKey: env:SKYPOOL_SITE_LAB_SECRET
capacity: { vcpus: ${vcpus}, memoryMiB: 131072 }
instanceTypes:
  - { name: m1.small, vcpus: 2, memoryMiB: 4096 }
images:
  - { image: ubuntu-22.04, imageId: ami-00000042 }
labels: { network: infiniband }
network: { securityGroupIds: [sg-0001], keyName: ops }
`;

const SITE_FIELDS = `id name institution endpoint region availabilityZones health emulated draining drainingSince removedAt homeShare tagMode
  healthReport { state since checkedAt latencyMs lastError consecutiveFailures circuitOpen }
  capacity { vcpus memoryMiB gpus instances } instanceTypes { name vcpus memoryMiB gpus } images { image imageId }
  labels { key value } network { securityGroupIds subnetId keyName associatePublicIp }`;

/**
 * Not a cloud: records what reaches it, and answers as asked by the path's first segment —
 * `/junk`: HTTP 200 with a body that is no XML; `/chatty`: an EC2 error whose message says more
 * than a researcher should read.
 */
const CHATTY_DETAIL = 'instance store db01.lab.internal (account ops-admin) refused: quota table locked';
function stubSite(seen: { path: string; headers: IncomingHttpHeaders }[]): Server {
  return createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    if (req.url?.startsWith('/chatty')) {
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>${CHATTY_DETAIL} ${'x'.repeat(500)}</Message></Error></Errors><RequestID>1</RequestID></Response>`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello, this is not EC2');
  });
}

describe(`a site's life through the CLI on the ${databaseKind} database`, () => {
  let emulator: Ec2Emulator;
  let emulatorUrl: string;
  let stub: Server;
  let stubUrl: string;
  const stubSeen: { path: string; headers: IncomingHttpHeaders }[] = [];
  let database: TestDatabase;
  let broker: BrokerProcess;
  let admin: GraphqlClient;
  let work: string;
  let cliEnv: Record<string, string>;
  const cliOutput: string[] = [];
  const apiAnswers: string[] = [];

  const cli = async (...args: string[]) => {
    const outcome = await runCli(args, cliEnv);
    cliOutput.push(outcome.stdout, outcome.stderr);
    return outcome;
  };
  const siteNamed = async (name: string) => {
    const data = await admin.data(`{ sites(includeRemoved: true) { ${SITE_FIELDS} } }`);
    apiAnswers.push(JSON.stringify(data));
    return (data.sites as { name: string; removedAt: string | null; [k: string]: unknown }[]).find((s) => s.name === name && !s.removedAt);
  };
  const folder = (name: string, files: Record<string, string>) => {
    const dir = join(work, name);
    mkdirSync(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  };

  beforeAll(async () => {
    emulator = new Ec2Emulator();
    emulator.upsertSite({
      name: 'physics-lab',
      region: 'RegionOne',
      availabilityZones: ['nova'],
      accessKeyId: 'AKIALAB',
      secretAccessKey: LAB_SECRET,
      instanceTypes: [{ name: 'm1.small', vcpus: 2, memoryMiB: 4096 }],
      images: [{ imageId: 'ami-00000042', name: 'ubuntu-22.04' }],
      securityGroups: ['sg-0001'],
      keyPairs: ['ops'],
      pendingSeconds: 0,
    });
    emulatorUrl = await emulator.listen();
    stub = stubSite(stubSeen);
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    database = await createTestDatabase();
    work = mkdtempSync(join(tmpdir(), 'skypool-sites-'));
    broker = await spawnBroker({
      LOG_LEVEL: 'debug',
      SKYPOOL_DATA_DIR: prepareDataFolder(database, join(work, 'data')),
      SKYPOOL_SITES: '',
      SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
      SKYPOOL_SECRET_KEY: SECRET_KEY,
      SKYPOOL_ALLOCATOR_CRON: '* * * * * *',
      SKYPOOL_RECONCILE_CRON: '* * * * * *',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    });
    admin = new GraphqlClient(broker.url, ADMIN_TOKEN);
    const { createServiceAccount } = await admin.data('mutation { createServiceAccount(input: { name: "umich admin", role: SITE_ADMIN, institution: "University of Michigan" }) { token } }');
    cliEnv = { SKYPOOL_URL: broker.url, SKYPOOL_TOKEN: createServiceAccount.token, SKYPOOL_SITE_LAB_KEY: 'AKIALAB', SKYPOOL_SITE_LAB_SECRET: LAB_SECRET };
  }, 90_000);

  afterAll(async () => {
    await broker?.stop();
    await emulator?.close();
    stub?.closeAllConnections();
    await new Promise((resolve) => stub?.close(resolve));
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it("never lets a descriptor send the broker's settings, other variables or files to an endpoint of its choosing", async () => {
    const dir = folder('exfiltrate', { 'lab.yaml': descriptor('leaky-lab', 'University of Michigan', `${stubUrl}/record`).replace('env:SKYPOOL_SITE_LAB_KEY', 'env:DATABASE_URL') });
    const withSecrets = { ...cliEnv, DATABASE_URL: 'postgres://skypool:hunter2@db.example.edu/skypool', PGPASSWORD: 'hunter2' };
    const own = await runCli(['sites', 'apply', dir], withSecrets);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain(`${join(dir, 'lab.yaml')}:6: accessKeyId: env:DATABASE_URL is one of Skypool's own settings, never read as a site credential`);

    writeFileSync(join(dir, 'lab.yaml'), descriptor('leaky-lab', 'University of Michigan', `${stubUrl}/record`).replace('env:SKYPOOL_SITE_LAB_KEY', 'env:PGPASSWORD'));
    const other = await runCli(['sites', 'apply', dir], withSecrets);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('accessKeyId: env:PGPASSWORD is refused: site credentials are read only from environment variables whose names start with SKYPOOL_SITE_');

    writeFileSync(join(dir, 'lab.yaml'), descriptor('leaky-lab', 'University of Michigan', `${stubUrl}/record`).replace('env:SKYPOOL_SITE_LAB_SECRET', 'file:/etc/passwd'));
    const anyFile = await runCli(['sites', 'apply', dir], withSecrets);
    expect(anyFile.code).toBe(1);
    expect(anyFile.stderr).toContain('secretAccessKey: file: references are refused until SKYPOOL_CREDENTIALS_DIR names the folder that holds site credentials');
    const credentialsDir = join(work, 'credentials');
    mkdirSync(credentialsDir);
    const outside = await runCli(['sites', 'apply', dir], { ...withSecrets, SKYPOOL_CREDENTIALS_DIR: credentialsDir });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(`secretAccessKey: file:/etc/passwd is outside SKYPOOL_CREDENTIALS_DIR (${credentialsDir})`);

    for (const outcome of [own, other, anyFile, outside]) expect(outcome.stderr + outcome.stdout).not.toMatch(/hunter2|root:/);
    expect(stubSeen).toEqual([]); // nothing was sent anywhere
    expect(await siteNamed('leaky-lab')).toBeUndefined();
  }, 60_000);

  it('refuses unknown flags with exit status 2 and changes nothing', async () => {
    const dir = folder('flags', { 'lab.yaml': descriptor('flag-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`) });
    const mistyped = await cli('sites', 'apply', dir, '--dryrun');
    expect(mistyped.code).toBe(2);
    expect(mistyped.stderr).toContain("skypool: unknown option '--dryrun'\n(Did you mean --dry-run?)");
    expect(mistyped.stderr).toContain('skypool <command> --help');
    expect(await siteNamed('flag-lab')).toBeUndefined();
    expect((await cli('sites', 'list', 'extra')).code).toBe(2);
    expect((await cli('sites', 'drain')).code).toBe(2);
    expect((await cli('sites', 'frobnicate', 'x')).code).toBe(2);
  }, 60_000);

  it('an empty folder is an error, not a silent success', async () => {
    const dir = folder('empty', { 'README.txt': 'no descriptors here' });
    const outcome = await cli('sites', 'apply', dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(`${dir}: no site descriptors (*.yaml or *.yml) in this folder`);
  }, 30_000);

  it('a site that cannot be reached or refuses the credentials is not applied, and the CLI says which and why', async () => {
    const unreachable = folder('unreachable', {
      'a-good.yaml': descriptor('good-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`),
      'b-down.yaml': descriptor('down-lab', 'University of Michigan', 'http://127.0.0.1:1/nothing'),
    });
    const down = await cli('sites', 'apply', unreachable);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(
      `${join(unreachable, 'b-down.yaml')}:3: endpoint: the probe of the site failed: DescribeAvailabilityZones at site down-lab: the site refused the connection (ECONNREFUSED) (--allow-unhealthy applies it anyway)\nnothing was applied`,
    );
    expect(await siteNamed('good-lab')).toBeUndefined();

    const refused = await runCli(['sites', 'apply', folder('refused', { 'lab.yaml': descriptor('wrong-key-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`) })], {
      ...cliEnv,
      SKYPOOL_SITE_LAB_SECRET: 'not-the-secret',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/lab\.yaml:6: accessKeyId: the probe of the site failed: DescribeAvailabilityZones at site wrong-key-lab: the site did not accept the credentials \(AuthFailure, HTTP 401\)/);
    expect(await siteNamed('wrong-key-lab')).toBeUndefined();

    const junk = await cli('sites', 'apply', folder('junk', { 'lab.yaml': descriptor('junk-lab', 'University of Michigan', `${stubUrl}/junk`) }));
    expect(junk.code).toBe(1);
    expect(junk.stderr).toContain('lab.yaml:3: endpoint: the probe of the site failed: DescribeAvailabilityZones at site junk-lab: the site answered HTTP 200 with a body that is not EC2 XML');
    expect(junk.stderr).not.toMatch(/\$response|hidden field|Deserialization|@aws-sdk/);

    // --allow-unhealthy: applied anyway, and the line says how the site is
    const allowed = await cli('sites', 'apply', unreachable, '--allow-unhealthy');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('good-lab  create  HEALTHY');
    expect(allowed.stdout).toMatch(/down-lab  create  DEGRADED \(Describe\w+ at site down-lab: the site refused the connection \(ECONNREFUSED\)\)/);
    // stored as the probe left it, unless the reconciler (every second here) has failed there once more since: then DOWN
    expect(['DEGRADED', 'DOWN']).toContain((await siteNamed('down-lab'))?.health);
    for (const name of ['good-lab', 'down-lab']) expect((await cli('sites', 'remove', name)).code).toBe(0);
  }, 90_000);

  it("shows a site's own error text to its admins only, cut short; researchers read the broker's words and the code", async () => {
    const siteId = await registerSite(admin, {
      name: 'chatty-lab', institution: 'University of Michigan', endpoint: `${stubUrl}/chatty`, region: 'r1', accessKeyId: 'AK', secretAccessKey: 'SK',
      capacity: { vcpus: 8, memoryMiB: 8192 }, instanceTypes: [{ name: 't1', vcpus: 1, memoryMiB: 1024 }], images: [{ image: 'ubuntu-22.04', imageId: 'ami-1' }],
    });
    const projectId = await createProject(admin, { name: 'chatty-users', institution: 'University of Michigan' });
    const { createServiceAccount } = await admin.data(`mutation($p: ID!) { createServiceAccount(input: { name: "r", role: RESEARCHER, projectId: $p }) { token } }`, { p: projectId });
    const lastError = async (client: GraphqlClient) =>
      ((await client.data(`query($id: ID!) { site(id: $id) { healthReport { lastError } } }`, { id: siteId })).site.healthReport.lastError as string);
    // probes and reconcile passes both call the site, so the operation named may be either
    const generic = /^Describe(?:AvailabilityZones|Instances) at site chatty-lab: the site rejected a parameter value \(InvalidParameterValue, HTTP 400\)/;
    for (const admins of [admin, admin.withToken(cliEnv.SKYPOOL_TOKEN)]) {
      // a federation admin, and a site admin of University of Michigan
      const text = await lastError(admins);
      expect(text).toMatch(new RegExp(`${generic.source}: ${CHATTY_DETAIL.replace(/[()]/g, '\\$&')} x+\\.\\.\\.$`));
      expect(text.replace(generic, '').length).toBeLessThanOrEqual(2 + 303);
    }
    expect(await lastError(admin.withToken(createServiceAccount.token))).toMatch(new RegExp(`${generic.source}$`));
    await admin.data(`mutation($id: ID!) { removeSite(id: $id) { id } }`, { id: siteId });
  });

  it('a dry run shows what would change and changes nothing', async () => {
    const dir = folder('dry', { 'lab.yaml': descriptor('physics-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`) });
    const outcome = await cli('sites', 'apply', dir, '--dry-run');
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toContain('physics-lab  create');
    expect(outcome.stdout).toContain('dry run: 1 to create, 0 to update, 0 unchanged; nothing was changed');
    expect(await siteNamed('physics-lab')).toBeUndefined();
  }, 30_000);

  it('applies the descriptor, probes the site at once, and is idempotent', async () => {
    const dir = folder('real', { 'lab.yaml': descriptor('physics-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`) });
    const applied = await cli('sites', 'apply', dir);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('physics-lab  create  HEALTHY');
    const site = await siteNamed('physics-lab');
    expect(site).toMatchObject({
      health: 'HEALTHY',
      healthReport: { state: 'HEALTHY', lastError: null, consecutiveFailures: 0, circuitOpen: false },
      labels: [{ key: 'network', value: 'infiniband' }],
      network: { securityGroupIds: ['sg-0001'], subnetId: null, keyName: 'ops', associatePublicIp: null },
      availabilityZones: ['nova'],
      draining: false,
    });
    expect((site!.healthReport as { latencyMs: number }).latencyMs).toBeGreaterThanOrEqual(0);

    expect((await cli('sites', 'apply', dir)).stdout).toContain('physics-lab  unchanged');
    writeFileSync(join(dir, 'lab.yaml'), descriptor('physics-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`, 48));
    expect((await cli('sites', 'apply', dir, '--dry-run')).stdout).toContain('physics-lab  update: capacity');
    expect((await cli('sites', 'apply', dir)).stdout).toContain('physics-lab  update: capacity  HEALTHY');
    expect(await siteNamed('physics-lab')).toMatchObject({ capacity: { vcpus: 48 } });
  }, 60_000);

  it('a folder with one broken file applies nothing and names the file, line and problem', async () => {
    const dir = folder('broken', {
      'a-good.yaml': descriptor('chem-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`),
      'b-bad.yaml': descriptor('bio-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`).replace('vcpus: 32', 'vcpus: -4'),
    });
    const outcome = await cli('sites', 'apply', dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(`${join(dir, 'b-bad.yaml')}:8: capacity.vcpus: must be a whole number from 1`);
    expect(outcome.stderr).toContain('nothing was applied');
    expect(await siteNamed('chem-lab')).toBeUndefined();
  }, 30_000);

  it('a site the admin may not manage fails the whole folder at the broker', async () => {
    const dir = folder('foreign', {
      'a-ours.yaml': descriptor('chem-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`),
      'b-theirs.yaml': descriptor('edinburgh-lab', 'University of Edinburgh', `${emulatorUrl}/physics-lab`),
    });
    const outcome = await cli('sites', 'apply', dir);
    expect(outcome.code).toBe(1);
    // The broker's refusal names no setting, yet the message names the file (at the site's name).
    expect(outcome.stderr).toContain(`${join(dir, 'b-theirs.yaml')}:1: only a federation admin or a site admin of University of Edinburgh may manage its sites`);
    expect(await siteNamed('chem-lab')).toBeUndefined();
  }, 30_000);

  it('drains the site: nothing new is placed there until it resumes', async () => {
    const projectId = await projectWithAllocation(admin, { name: 'lab-users', institution: 'University of Michigan' }, { vcpus: 64, memoryMiB: 262144 });
    expect((await cli('sites', 'drain', 'physics-lab')).stdout).toContain('physics-lab: draining');
    expect(await siteNamed('physics-lab')).toMatchObject({ draining: true });

    const requestId = await submitRequest(admin, { projectId, image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 4096, leaseHours: 1, sites: ['physics-lab'] });
    const state = async () => (await admin.data(`{ resourceRequest(id: "${requestId}") { state reason } }`)).resourceRequest;
    await eventually(async () => ((await state()).state === 'QUEUED' ? true : undefined), 'the request to wait');
    expect((await state()).reason).toBe('site physics-lab is draining');

    expect((await cli('sites', 'resume', 'physics-lab')).stdout).toContain('takes placements again');
    await eventually(async () => ((await state()).state === 'RUNNING' ? true : undefined), 'the request to run');
    expect(emulator.instances('physics-lab')[0]).toMatchObject({ securityGroupIds: ['sg-0001'], keyName: 'ops' });

    const refused = await cli('sites', 'remove', 'physics-lab');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('site physics-lab still has 1 instance (1 RUNNING)');

    await admin.data(`mutation { cancelRequest(id: "${requestId}") { state } }`);
    await eventually(async () => ((await state()).state === 'TERMINATED' ? true : undefined), 'the request to end');
    expect(await (await fetch(`${broker.url}/metrics`)).text()).toContain('skypool_site_health{site="physics-lab",state="HEALTHY"} 1');
    expect((await cli('sites', 'remove', 'physics-lab')).stdout).toContain('physics-lab: removed from the federation');
    // The site's own series go; the ledger's usage counter may keep it, since its usage is history.
    expect(await (await fetch(`${broker.url}/metrics`)).text()).not.toMatch(/^skypool_site_\w+\{[^}]*site="physics-lab"/m);
    expect(await siteNamed('physics-lab')).toBeUndefined();
    const { sites } = await admin.data('{ sites(includeRemoved: true) { name removedAt } }');
    expect(sites).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'physics-lab', removedAt: expect.any(String) })]));
    expect((await admin.data('{ sites { name } }')).sites.map((site: { name: string }) => site.name)).not.toContain('physics-lab');
  }, 60_000);

  it('restores a removed site as it was, with its history', async () => {
    const before = (await admin.data('{ sites(includeRemoved: true) { id name removedAt } }')).sites.find((s: { name: string }) => s.name === 'physics-lab');
    expect((await cli('sites', 'list', '--removed')).stdout).toMatch(/physics-lab\s+REMOVED \d{4}-\d{2}-\d{2}/);
    const restored = await cli('sites', 'restore', 'physics-lab');
    expect(restored).toMatchObject({ code: 0, stdout: 'physics-lab: back in the federation\n' });
    expect(await siteNamed('physics-lab')).toMatchObject({ id: before.id, health: 'HEALTHY', removedAt: null, capacity: { vcpus: 48 } });
    expect((await cli('sites', 'restore', 'physics-lab')).stderr).toContain('site physics-lab is in the federation; there is nothing to restore');
  }, 60_000);

  it('never shows the secret or the key in an API answer, a CLI line or a log line', async () => {
    const { auditEvents } = await admin.data('{ auditEvents { action targetId before after } }');
    apiAnswers.push(JSON.stringify(auditEvents));
    // the audit log keeps where the access key came from, never the key itself
    const registered = auditEvents.find((e: { action: string; after: { name?: string } }) => e.action === 'site.register' && e.after?.name === 'physics-lab');
    expect(registered.after.accessKeyId).toBe('env:SKYPOOL_SITE_LAB_KEY');
    expect(JSON.stringify(auditEvents)).not.toContain('AKIALAB');
    expect(auditEvents.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['site.register', 'site.update', 'site.drain', 'site.resume', 'site.remove', 'site.restore']));
    const everything = [...apiAnswers, ...cliOutput, broker.output()].join('\n');
    expect(broker.output()).toContain('site updated'); // the logs were really captured
    for (const secret of [LAB_SECRET, SECRET_KEY, Buffer.from(SECRET_KEY, 'hex').toString('base64')]) {
      expect(everything).not.toContain(secret);
    }
  });
});
