import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ec2Emulator } from '../src/compute/emulator/index.js';
import { ADMIN_TOKEN, eventually, SECRET_KEY } from './helpers/broker.js';
import { spawnBroker, type BrokerProcess } from './helpers/broker-process.js';
import { runCli } from './helpers/cli.js';
import { GraphqlClient } from './helpers/graphql-client.js';
import { createTestDatabase, databaseKind, type TestDatabase } from './helpers/test-database.js';

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
accessKeyId: env:LAB_KEY
secretAccessKey: env:LAB_SECRET
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

describe(`a site's life through the CLI on the ${databaseKind} database`, () => {
  let emulator: Ec2Emulator;
  let emulatorUrl: string;
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
    database = await createTestDatabase();
    work = mkdtempSync(join(tmpdir(), 'skypool-sites-'));
    broker = await spawnBroker({
      LOG_LEVEL: 'debug',
      SKYPOOL_DATA_DIR: join(work, 'data'),
      SKYPOOL_SITES: '',
      SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
      SKYPOOL_SECRET_KEY: SECRET_KEY,
      SKYPOOL_ALLOCATOR_CRON: '* * * * * *',
      SKYPOOL_RECONCILE_CRON: '* * * * * *',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    });
    admin = new GraphqlClient(broker.url, ADMIN_TOKEN);
    const { createServiceAccount } = await admin.data('mutation { createServiceAccount(input: { name: "umich admin", role: SITE_ADMIN, institution: "University of Michigan" }) { token } }');
    cliEnv = { SKYPOOL_URL: broker.url, SKYPOOL_TOKEN: createServiceAccount.token, LAB_KEY: 'AKIALAB', LAB_SECRET };
  }, 90_000);

  afterAll(async () => {
    await broker?.stop();
    await emulator?.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('a dry run shows what would change and changes nothing', async () => {
    const dir = folder('dry', { 'lab.yaml': descriptor('physics-lab', 'University of Michigan', `${emulatorUrl}/physics-lab`) });
    const outcome = await cli('sites', 'apply', dir, '--dry-run');
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toContain('physics-lab  create');
    expect(outcome.stdout).toContain('dry run: 1 to create, 0 to update, 0 unchanged; nothing was changed');
    expect(await siteNamed('physics-lab')).toBeUndefined();
  });

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
  });

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
  });

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
  });

  it('drains the site: nothing new is placed there until it resumes', async () => {
    const { createProject } = await admin.data('mutation { createProject(input: { name: "lab-users", institution: "University of Michigan" }) { id } }');
    await admin.data(`mutation { grantAllocation(input: { projectId: "${createProject.id}", vcpus: 64, memoryMiB: 262144 }) { id } }`);
    expect((await cli('sites', 'drain', 'physics-lab')).stdout).toContain('physics-lab: draining');
    expect(await siteNamed('physics-lab')).toMatchObject({ draining: true });

    const { submitRequest } = await admin.data(
      `mutation { submitRequest(input: { projectId: "${createProject.id}", image: "ubuntu-22.04", vcpus: 2, memoryMiB: 4096, leaseHours: 1, sites: ["physics-lab"] }) { ... on ResourceRequest { id } } }`,
    );
    const state = async () => (await admin.data(`{ resourceRequest(id: "${submitRequest.id}") { state reason } }`)).resourceRequest;
    await eventually(async () => ((await state()).state === 'QUEUED' ? true : undefined), 'the request to wait');
    expect((await state()).reason).toBe('site physics-lab is draining');

    expect((await cli('sites', 'resume', 'physics-lab')).stdout).toContain('takes placements again');
    await eventually(async () => ((await state()).state === 'RUNNING' ? true : undefined), 'the request to run');
    expect(emulator.instances('physics-lab')[0]).toMatchObject({ securityGroupIds: ['sg-0001'], keyName: 'ops' });

    const refused = await cli('sites', 'remove', 'physics-lab');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('site physics-lab still has 1 instance (1 RUNNING)');

    await admin.data(`mutation { cancelRequest(id: "${submitRequest.id}") { state } }`);
    await eventually(async () => ((await state()).state === 'TERMINATED' ? true : undefined), 'the request to end');
    expect(await (await fetch(`${broker.url}/metrics`)).text()).toContain('skypool_site_health{site="physics-lab",state="HEALTHY"} 1');
    expect((await cli('sites', 'remove', 'physics-lab')).stdout).toContain('physics-lab: removed from the federation');
    expect(await (await fetch(`${broker.url}/metrics`)).text()).not.toContain('site="physics-lab"');
    expect(await siteNamed('physics-lab')).toBeUndefined();
    const { sites } = await admin.data('{ sites(includeRemoved: true) { name removedAt } }');
    expect(sites).toEqual([expect.objectContaining({ name: 'physics-lab', removedAt: expect.any(String) })]);
    expect((await admin.data('{ sites { name } }')).sites).toEqual([]);
  }, 60_000);

  it('never shows the secret or the key in an API answer, a CLI line or a log line', async () => {
    const { auditEvents } = await admin.data('{ auditEvents { action before after } }');
    apiAnswers.push(JSON.stringify(auditEvents));
    expect(auditEvents.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['site.register', 'site.update', 'site.drain', 'site.resume', 'site.remove']));
    const everything = [...apiAnswers, ...cliOutput, broker.output()].join('\n');
    expect(broker.output()).toContain('site updated'); // the logs were really captured
    for (const secret of [LAB_SECRET, SECRET_KEY, Buffer.from(SECRET_KEY, 'hex').toString('base64')]) {
      expect(everything).not.toContain(secret);
    }
  });
});
