import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker } from '../../src/broker.js';
import type { Clock } from '../../src/common/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { GraphqlClient } from './graphql-client.js';
import { createTestDatabase, prepareDataFolder, type TestDatabase } from './test-database.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const SECRET_KEY = 'ab'.repeat(32);

export interface TestBroker {
  broker: Broker;
  url: string;
  admin: GraphqlClient;
  anonymous: GraphqlClient;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * A broker in this process on a free port, with its own data folder (and database on a server),
 * its database already migrated (a copy of the template).
 */
export async function startTestBroker(options: { sites?: string; env?: Record<string, string>; clock?: Clock; database?: TestDatabase } = {}): Promise<TestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skypool-test-'));
  const database = options.database ?? (await createTestDatabase());
  prepareDataFolder(database, dataDir);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SKYPOOL_DATA_DIR: dataDir,
    SKYPOOL_SITES: options.sites ?? 'sites/demo',
    SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
    SKYPOOL_SECRET_KEY: SECRET_KEY,
    // suites query far faster than any client would; graphql-hardening.test.ts tests the budget itself
    SKYPOOL_QUERY_COST_PER_SECOND: '100000000',
    SKYPOOL_QUERY_COST_BURST: '1000000000',
    // the suites' webhook receivers listen on 127.0.0.1
    SKYPOOL_WEBHOOK_ALLOW_PRIVATE: 'true',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  });
  const broker = await startBroker(config, { clock: options.clock });
  return {
    broker,
    url: broker.url,
    admin: new GraphqlClient(broker.url, ADMIN_TOKEN),
    anonymous: new GraphqlClient(broker.url),
    dataDir,
    stop: async () => {
      await broker.close();
      if (!options.database) await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value, or fails after `timeoutMs` with the last thing seen. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
