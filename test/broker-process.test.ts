import { afterAll, describe, expect, it } from '@jest/globals';
import { buildClientSchema, buildSchema, getIntrospectionQuery, lexicographicSortSchema, printSchema } from 'graphql';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, SECRET_KEY, eventually } from './helpers/broker.js';
import { runBrokerToExit, spawnBroker } from './helpers/broker-process.js';
import { runCli } from './helpers/cli.js';
import { createProject, projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import { GraphqlClient } from './helpers/graphql-client.js';
import { seedDataFolder } from './helpers/migrated-template.js';
import { createTestDatabase, serverUrl } from './helpers/test-database.js';

/** These run `node dist/main.bundle.js` as `npm start` does, so they need `npm run build` first (npm test does it). */
const dirs: string[] = [];
/** A data folder with the migrated database in it: a first start's database is embedded-database.test.ts's subject, not these. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skypool-process-'));
  dirs.push(dir);
  seedDataFolder(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const embeddedEnv = (dir: string) => ({ SKYPOOL_DATA_DIR: dir, SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN });

/** Whether something accepts TCP connections at this address. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const siteNames = async (client: GraphqlClient) => ((await client.data('{ sites { name } }')).sites as { name: string }[]).map((s) => s.name).sort();

async function runningRequest(admin: GraphqlClient, projectName: string): Promise<{ projectId: string; requestId: string; siteInstanceId: string }> {
  const projectId = await projectWithAllocation(admin, { name: projectName, institution: 'University of Michigan' }, { vcpus: 8, memoryMiB: 32768 });
  const requestId = await submitRequest(admin, { projectId, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 1024, leaseHours: 8 });
  const siteInstanceId = await eventually(async () => {
    const { resourceRequest } = await admin.data(`query($id: ID!) { resourceRequest(id: $id) { state instances { siteInstanceId } } }`, { id: requestId });
    return resourceRequest.state === 'RUNNING' ? resourceRequest.instances[0].siteInstanceId : undefined;
  }, 'the request to run');
  return { projectId, requestId, siteInstanceId };
}

describe('the broker as a process', () => {
  it('refuses bad configuration with one line that names the variable', async () => {
    const outcome = await runBrokerToExit({ PORT: 'http', SKYPOOL_DATA_DIR: dataDir() });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim()).toBe('skypool: cannot start: PORT: expected an integer from 0 to 65535, got "http"');
  }, 60_000);

  it('requires SKYPOOL_SECRET_KEY with DATABASE_URL, and never echoes a secret', async () => {
    const outcome = await runBrokerToExit({ DATABASE_URL: 'postgres://nobody:hunter2@127.0.0.1:1/none', SKYPOOL_DATA_DIR: dataDir(), SKYPOOL_SITES: '' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/SKYPOOL_SECRET_KEY/);
    expect(outcome.stderr + outcome.stdout).not.toContain('hunter2');
  }, 60_000);

  it('refuses a broken site descriptor, naming the file and the line', async () => {
    const sites = dataDir();
    writeFileSync(join(sites, 'bad.yaml'), 'name: bad-site\ninstitution: X\nregion: r1\nemulated: true\ncapacity: { vcpus: 8, memoryMiB: 1024 }\ninstanceTypes:\n  - { name: t1, vcpus: 0, memoryMiB: 512 }\nimages:\n  - { image: a, imageId: ami-1 }\n');
    const outcome = await runBrokerToExit({ SKYPOOL_DATA_DIR: dataDir(), SKYPOOL_SITES: sites });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(`${join(sites, 'bad.yaml')}:7: instanceTypes[0].vcpus: must be a whole number from 1`);
  }, 60_000);

  it("refuses a descriptor whose credentials name one of Skypool's own settings, without echoing it", async () => {
    const sites = dataDir();
    writeFileSync(
      join(sites, 'leaky.yaml'),
      'name: leaky\ninstitution: X\nendpoint: http://127.0.0.1:1/leaky\nregion: r1\naccessKeyId: AKIALEAKY\nsecretAccessKey: env:SKYPOOL_ADMIN_TOKEN\ncapacity: { vcpus: 8, memoryMiB: 1024 }\ninstanceTypes:\n  - { name: t1, vcpus: 1, memoryMiB: 512 }\nimages:\n  - { image: a, imageId: ami-1 }\n',
    );
    const outcome = await runBrokerToExit({ ...embeddedEnv(dataDir()), SKYPOOL_SITES: sites });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim()).toBe(`skypool: cannot start: ${join(sites, 'leaky.yaml')}:6: secretAccessKey: env:SKYPOOL_ADMIN_TOKEN is one of Skypool's own settings, never read as a site credential`);
    expect(outcome.stderr + outcome.stdout).not.toContain(ADMIN_TOKEN);
  }, 60_000);

  it('listens on 127.0.0.1 unless HOST says otherwise, and keeps /metrics to holders of SKYPOOL_METRICS_TOKEN', async () => {
    const metricsToken = 'metrics-token-0123456789';
    const broker = await spawnBroker({ ...embeddedEnv(dataDir()), SKYPOOL_SITES: '', HOST: '', SKYPOOL_METRICS_TOKEN: metricsToken });
    try {
      const port = Number(new URL(broker.url).port);
      expect(await accepts('127.0.0.1', port)).toBe(true);
      // the rest of 127.0.0.0/8 is this machine too, but not the address bound: as any other interface would be
      expect(await accepts('127.0.0.2', port)).toBe(false);

      const refused = await fetch(`${broker.url}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect((await fetch(`${broker.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      expect((await fetch(`${broker.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(401);
      const scraped = await fetch(`${broker.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('skypool_allocator_cycle_seconds');
      expect((await fetch(`${broker.url}/healthz`)).status).toBe(200);
    } finally {
      await broker.stop();
    }
    const everywhere = await spawnBroker({ ...embeddedEnv(dataDir()), SKYPOOL_SITES: '', HOST: '0.0.0.0' });
    try {
      expect(await accepts('127.0.0.2', Number(new URL(everywhere.url).port))).toBe(true);
      expect((await fetch(`${everywhere.url}/metrics`)).status).toBe(200); // without SKYPOOL_METRICS_TOKEN, open as before
    } finally {
      await everywhere.stop();
    }
  }, 120_000);

  it('serves the schema in schema.graphql from its one-file bundle, and reads the tables the migrations made', async () => {
    const broker = await spawnBroker({ ...embeddedEnv(dataDir()), SKYPOOL_SITES: '' });
    try {
      const admin = new GraphqlClient(broker.url, ADMIN_TOKEN);
      const served = buildClientSchema(await admin.data(getIntrospectionQuery()));
      const committed = buildSchema(readFileSync('schema.graphql', 'utf8'));
      expect(printSchema(lexicographicSortSchema(served))).toBe(printSchema(lexicographicSortSchema(committed)));
      // TypeORM's entities, bundled, name the tables the migrations made
      const { projects } = await admin.data('{ projects { id } }');
      expect(projects).toEqual([]);
    } finally {
      await broker.stop();
    }
  }, 60_000);

  it('does not bring back a demo site removed through the API; `skypool sites restore` does, as it was', async () => {
    const dir = dataDir();
    const first = await spawnBroker(embeddedEnv(dir)); // SKYPOOL_SITES unset: the demo sites on the embedded database
    const admin = new GraphqlClient(first.url, ADMIN_TOKEN);
    expect(await siteNames(admin)).toEqual(['edinburgh', 'tacc', 'umich']);
    // and the demo project, whose allocation lets a first VM start at once
    const demoProject = '{ projects { name institution allocations { vcpus coreHours } } }';
    expect((await admin.data(demoProject)).projects).toEqual([{ name: 'demo', institution: 'University of Michigan', allocations: [{ vcpus: 32, coreHours: 1000 }] }]);
    const edinburgh = (await admin.data('{ sites { id name } }')).sites.find((s: { name: string }) => s.name === 'edinburgh');
    await admin.data('mutation($id: ID!) { removeSite(id: $id) { id } }', { id: edinburgh.id });
    await first.stop();

    const second = await spawnBroker(embeddedEnv(dir));
    try {
      const again = new GraphqlClient(second.url, ADMIN_TOKEN);
      expect(await siteNames(again)).toEqual(['tacc', 'umich']);
      // a broker with projects gets no second demo project
      expect((await again.data('{ projects { name } }')).projects).toEqual([{ name: 'demo' }]);
      const warning = second
        .output()
        .split('\n')
        .filter((line) => line.includes('"site":"edinburgh"') && line.includes('is not re-created'))
        .map((line) => JSON.parse(line));
      expect(warning).toHaveLength(1);
      expect(warning[0]).toMatchObject({ level: 40, file: 'sites/demo/edinburgh.yaml' });
      expect(warning[0].msg).toContain('To bring it back, run `skypool sites restore edinburgh`; to stop this warning, delete the file');

      const restored = await runCli(['sites', 'restore', 'edinburgh'], { SKYPOOL_URL: second.url, SKYPOOL_TOKEN: ADMIN_TOKEN });
      expect(restored).toMatchObject({ code: 0, stdout: 'edinburgh: back in the federation\n' });
      expect(await siteNames(again)).toEqual(['edinburgh', 'tacc', 'umich']);
      // the same site, served again by the emulator with the credentials it had
      const { site } = await again.data('query($id: ID!) { site(id: $id) { name health removedAt } }', { id: edinburgh.id });
      expect(site).toEqual({ name: 'edinburgh', health: 'HEALTHY', removedAt: null });
    } finally {
      await second.stop();
    }
  }, 180_000);

  (serverUrl ? it : it.skip)('registers no demo site on PostgreSQL unless SKYPOOL_SITES names them, and removes none it registered before', async () => {
    const database = await createTestDatabase();
    try {
      const env = { DATABASE_URL: database.url!, SKYPOOL_DATA_DIR: dataDir(), SKYPOOL_SECRET_KEY: SECRET_KEY, SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN };
      const bare = await spawnBroker(env); // SKYPOOL_SITES unset
      expect(await siteNames(new GraphqlClient(bare.url, ADMIN_TOKEN))).toEqual([]);
      expect((await fetch(`${bare.url}/emulator/umich/instances`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);
      await bare.stop();

      const demo = await spawnBroker({ ...env, SKYPOOL_SITES: 'sites/demo' }); // named explicitly: a demo on PostgreSQL
      expect(await siteNames(new GraphqlClient(demo.url, ADMIN_TOKEN))).toEqual(['edinburgh', 'tacc', 'umich']);
      await demo.stop();

      const after = await spawnBroker(env);
      try {
        expect(await siteNames(new GraphqlClient(after.url, ADMIN_TOKEN))).toEqual(['edinburgh', 'tacc', 'umich']);
        const warned = after.output().split('\n').filter((line) => line.includes('no descriptor in SKYPOOL_SITES describes it'));
        expect(warned).toHaveLength(3);
        expect(warned[0]).toContain('`skypool sites remove');
      } finally {
        await after.stop();
      }
    } finally {
      await database.drop();
    }
  }, 180_000);

  it('prints a one-time link to sign in to the portal at start on the embedded database: in the log, and plainly on stderr', async () => {
    const dir = dataDir();
    const broker = await spawnBroker({ SKYPOOL_DATA_DIR: dir, SKYPOOL_SITES: '' }); // the admin token made into the data folder
    try {
      const line = await eventually(async () => broker.output().split('\n').find((l) => l.includes('"signInLink"')), 'the sign-in link in the log');
      const { signInLink, msg } = JSON.parse(line) as { signInLink: string; msg: string };
      expect(msg).toBe('open this link to sign in to the portal as the federation administrator (once, within 15 minutes)');
      expect(signInLink).toMatch(new RegExp(`^${broker.url}/auth/link\\?code=[A-Za-z0-9_-]{43}$`));
      // a line of its own, for a person to copy; stderr is a pipe of its own, read when it comes, maybe after the ready line on stdout
      await eventually(async () => (broker.output().split('\n').includes(`        ${signInLink}`) ? true : undefined), 'the sign-in link on a line of its own on stderr');
      expect((await fetch(signInLink, { redirect: 'manual' })).status).toBe(302);
      const again = await fetch(signInLink, { redirect: 'manual' });
      expect(again.status).toBe(401);
      expect(await again.text()).toContain(`or sign in with the token in ${join(dir, 'admin-token')}`);
    } finally {
      await broker.stop();
    }
  });

  it('refuses a claim mapping file it cannot read, naming it', async () => {
    const outcome = await runBrokerToExit({ SKYPOOL_DATA_DIR: dataDir(), SKYPOOL_SITES: '', SKYPOOL_CLAIM_MAPPINGS: '/nonexistent/mappings.yaml' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim()).toBe('skypool: cannot start: /nonexistent/mappings.yaml: cannot read the claim mapping file');
  }, 60_000);

  it('refuses a port already in use with one line that names it', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const outcome = await runBrokerToExit({ PORT: String(port), SKYPOOL_DATA_DIR: dataDir(), SKYPOOL_SITES: '' });
      expect(outcome.code).toBe(1);
      expect(outcome.stderr.trim()).toBe(`skypool: cannot start: PORT: port ${port} on 127.0.0.1 is already in use; stop what uses it or set another port`);
    } finally {
      taken.close();
    }
  }, 60_000);

  it('refuses a HOST it cannot listen on with one line', async () => {
    const unknown = await runBrokerToExit({ HOST: 'nohost.invalid', SKYPOOL_DATA_DIR: dataDir(), SKYPOOL_SITES: '' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('skypool: cannot start: HOST: nohost.invalid is not a name this machine can resolve');
    // TEST-NET-1 (RFC 5737): never an address of this machine; nothing is sent to it
    const foreign = await runBrokerToExit({ HOST: '192.0.2.1', SKYPOOL_DATA_DIR: dataDir(), SKYPOOL_SITES: '' });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr.trim()).toBe('skypool: cannot start: HOST: 192.0.2.1 is not an address of this machine');
  }, 60_000);

  it('logs the mistakes of its callers below ERROR', async () => {
    const broker = await spawnBroker({ ...embeddedEnv(dataDir()), SKYPOOL_SITES: '' });
    try {
      const admin = new GraphqlClient(broker.url, ADMIN_TOKEN);
      await admin.request('mutation { createProject(input: { name: "a", institution: "" }) { id } }'); // BAD_USER_INPUT
      await admin.request('mutation { cancelRequest(id: "4b1f6a2e-0000-4000-8000-000000000000") { id } }'); // NOT_FOUND
      await admin.request('{ nope }'); // GRAPHQL_VALIDATION_FAILED
      await new GraphqlClient(broker.url).request('{ sites { id } }'); // UNAUTHENTICATED
      await new GraphqlClient(broker.url, 'not-a-token').request('{ sites { id } }');
      const refusals = await eventually(async () => {
        const lines = broker.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
        return lines.filter((l) => l.msg.includes('refused')).length >= 3 ? lines : undefined;
      }, 'the refusals to be logged');
      expect(refusals.filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      await broker.stop();
    }
  }, 60_000);

  it('refuses a second broker on the same embedded data folder', async () => {
    const dir = dataDir();
    const first = await spawnBroker(embeddedEnv(dir));
    try {
      const second = await runBrokerToExit(embeddedEnv(dir));
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/in use by another broker process \(pid \d+\)/);
    } finally {
      await first.stop();
    }
  }, 90_000);

  it('keeps every committed row when killed with SIGKILL on the embedded database', async () => {
    const dir = dataDir();
    const first = await spawnBroker(embeddedEnv(dir));
    const admin = new GraphqlClient(first.url, ADMIN_TOKEN);
    const running = await runningRequest(admin, 'survivor');
    const names = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    for (const name of names) await createProject(admin, { name, institution: 'Edinburgh' });
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');

    const second = await spawnBroker(embeddedEnv(dir)); // the stale lock of the killed process is taken over
    try {
      const again = new GraphqlClient(second.url, ADMIN_TOKEN);
      const { projects, sites } = await again.data(`{ projects { name } sites { name } }`);
      expect(projects.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['survivor', ...names]));
      expect(sites).toHaveLength(3);
      // the emulated site kept its instance too, and the reconciler still finds it running
      const state = await eventually(async () => {
        const { resourceRequest } = await again.data(`query($id: ID!) { resourceRequest(id: $id) { state instances { siteInstanceId state } } }`, { id: running.requestId });
        return resourceRequest.instances[0].state === 'RUNNING' ? resourceRequest : undefined;
      }, 'the instance to be seen running after the restart');
      expect(state).toMatchObject({ state: 'RUNNING', instances: [{ siteInstanceId: running.siteInstanceId }] });
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('stops cleanly on SIGTERM and keeps its data', async () => {
    const dir = dataDir();
    const first = await spawnBroker(embeddedEnv(dir));
    await createProject(new GraphqlClient(first.url, ADMIN_TOKEN), { name: 'kept', institution: 'TACC' });
    expect(await first.stop('SIGTERM')).toBe(0);
    const second = await spawnBroker(embeddedEnv(dir));
    try {
      const { projects } = await new GraphqlClient(second.url, ADMIN_TOKEN).data(`{ projects { name } }`);
      expect(projects.map((p: { name: string }) => p.name)).toContain('kept');
    } finally {
      await second.stop();
    }
  }, 120_000);

  (serverUrl ? it : it.skip)('refuses a secret key other than the one that sealed the PostgreSQL database', async () => {
    const database = await createTestDatabase();
    try {
      const env = { DATABASE_URL: database.url!, SKYPOOL_SITES: '', SKYPOOL_DATA_DIR: dataDir() };
      const first = await spawnBroker({ ...env, SKYPOOL_SECRET_KEY: SECRET_KEY });
      await first.stop();
      const wrong = await runBrokerToExit({ ...env, SKYPOOL_SECRET_KEY: 'cd'.repeat(32) });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/SKYPOOL_SECRET_KEY: expected the key this database was sealed with/);
    } finally {
      await database.drop();
    }
  }, 120_000);
});
