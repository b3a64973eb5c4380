import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ec2Emulator } from '../src/compute/emulator/index.js';
import { ADMIN_TOKEN, eventually, SECRET_KEY } from './helpers/broker.js';
import { runBrokerToExit, spawnBroker } from './helpers/broker-process.js';
import { runCli } from './helpers/cli.js';
import { registerSite } from './helpers/fixtures.js';
import { GraphqlClient } from './helpers/graphql-client.js';
import { createTestDatabase, databaseKind, prepareDataFolder, type TestDatabase } from './helpers/test-database.js';

/**
 * `skypool keys rotate`: refused while a broker runs; with the brokers stopped, afterwards the
 * broker starts with the new key, still reaches the site with the re-sealed credentials, and
 * refuses the old key.
 */
const NEW_KEY = 'cd'.repeat(32);

describe(`skypool keys rotate on the ${databaseKind} database`, () => {
  let emulator: Ec2Emulator;
  let emulatorUrl: string;
  let database: TestDatabase;
  let dataDir: string;
  // On the embedded database the generated key file is rotated; on PostgreSQL, the key given in the environment.
  const keyEnv = (key: string): Record<string, string> => (databaseKind === 'postgresql' ? { SKYPOOL_SECRET_KEY: key } : {});
  const env = (key: string) => ({
    SKYPOOL_DATA_DIR: dataDir,
    SKYPOOL_SITES: '',
    SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
    SKYPOOL_HEALTH_CRON: '* * * * * *',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...keyEnv(key),
  });

  beforeAll(async () => {
    emulator = new Ec2Emulator();
    emulator.upsertSite({ name: 'lab', region: 'r1', accessKeyId: 'AKLAB', secretAccessKey: 'lab-secret', instanceTypes: [{ name: 't1', vcpus: 1, memoryMiB: 1024 }], images: [{ imageId: 'ami-00000001', name: 'ubuntu-22.04' }] });
    emulatorUrl = await emulator.listen();
    database = await createTestDatabase();
    dataDir = prepareDataFolder(database, mkdtempSync(join(tmpdir(), 'skypool-keys-')));
  });

  afterAll(async () => {
    await emulator?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('re-seals the credentials; the broker works with the new key (and on PostgreSQL refuses the old one)', async () => {
    const first = await spawnBroker(env(SECRET_KEY));
    await registerSite(new GraphqlClient(first.url, ADMIN_TOKEN), {
      name: 'lab', institution: 'Lab', endpoint: `${emulatorUrl}/lab`, region: 'r1', accessKeyId: 'AKLAB', secretAccessKey: 'lab-secret',
      capacity: { vcpus: 4, memoryMiB: 4096 }, instanceTypes: [{ name: 't1', vcpus: 1, memoryMiB: 1024 }], images: [{ image: 'ubuntu-22.04', imageId: 'ami-00000001' }],
    });
    const keyFileBefore = databaseKind === 'embedded' ? readFileSync(join(dataDir, 'secret.key'), 'utf8') : undefined;

    // refused while a broker runs, which would go on with the old key; the rotation below then finds the old key still in force
    const whileRunning = await runCli(['keys', 'rotate'], { ...env(SECRET_KEY), SKYPOOL_NEW_SECRET_KEY: NEW_KEY });
    expect(whileRunning.code).toBe(1);
    if (databaseKind === 'embedded') expect(whileRunning.stderr).toContain('in use'); // the data folder is locked by the running broker
    else expect(whileRunning.stderr).toMatch(/refused: the database has [1-9]\d* connections? of running brokers \(application_name skypool-broker\)/);
    await first.stop();

    const rotated = await runCli(['keys', 'rotate'], { ...env(SECRET_KEY), SKYPOOL_NEW_SECRET_KEY: NEW_KEY });
    expect(rotated.stderr).toBe('');
    expect(rotated.stdout).toContain('re-sealed the credentials of 1 site under the new key');
    expect(rotated.stdout).not.toContain(NEW_KEY);
    if (keyFileBefore !== undefined) {
      expect(readFileSync(join(dataDir, 'secret.key'), 'utf8')).toBe(NEW_KEY);
    } else {
      const refused = await runBrokerToExit(env(SECRET_KEY));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('SKYPOOL_SECRET_KEY: expected the key this database was sealed with');
    }

    const again = await spawnBroker(env(NEW_KEY));
    try {
      const admin = new GraphqlClient(again.url, ADMIN_TOKEN);
      const before = Date.now();
      // a probe after the restart signs its calls with the re-sealed secret: the site answers
      const site = await eventually(async () => {
        const { sites } = await admin.data('{ sites { health healthReport { checkedAt lastError } } }');
        return sites[0].healthReport.checkedAt && Date.parse(sites[0].healthReport.checkedAt) >= before - 1000 ? sites[0] : undefined;
      }, 'a probe with the new key');
      expect(site).toMatchObject({ health: 'HEALTHY', healthReport: { lastError: null } });
    } finally {
      await again.stop();
    }

    // for scripts: --json says what was done, and shows a key only where nothing else holds it
    const THIRD_KEY = 'ef'.repeat(32);
    const scripted = await runCli(['keys', 'rotate', '--json'], { ...env(NEW_KEY), SKYPOOL_NEW_SECRET_KEY: THIRD_KEY });
    expect(scripted.code).toBe(0);
    expect(JSON.parse(scripted.stdout)).toEqual({ resealedSites: 1, keyFile: keyFileBefore === undefined ? null : join(dataDir, 'secret.key'), newKey: null });
  }, 120_000);
});
