import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { seedDataFolder, templateDatabaseName } from './migrated-template.js';

/**
 * Integration suites run on the embedded database, or on a PostgreSQL server when
 * DATABASE_URL is set; there each suite gets a database of its own, dropped afterwards, made
 * from the migrated template (see migrated-template.ts).
 */
export interface TestDatabase {
  /** undefined: the embedded database */
  url: string | undefined;
  drop(): Promise<void>;
}

export const serverUrl = process.env.DATABASE_URL || undefined;
export const databaseKind = serverUrl ? 'postgresql' : 'embedded';

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!serverUrl) return { url: undefined, drop: async () => undefined };
  const name = `skypool_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabaseName()}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** A broker's data folder for `database`: on the embedded one, with the migrated database in it already. */
export function prepareDataFolder(database: TestDatabase, dataDir: string): string {
  if (!database.url) seedDataFolder(dataDir);
  return dataDir;
}
