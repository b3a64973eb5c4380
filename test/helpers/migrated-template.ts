import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/**
 * Suites start from a database the migrations have already run on. Jest's globalSetup (this
 * module's default export) migrates once into a template: on the embedded database a PGlite
 * database folder, which each suite's data folder gets a copy of; on PostgreSQL a database that
 * each suite's database is created from (`CREATE DATABASE ... TEMPLATE`). The broker still runs
 * its migrations at start, and finds none pending. A template's name carries a hash of the
 * migration files (and of PGlite's version), so a new or changed migration builds a new template
 * instead of using a stale one.
 *
 * Jest loads a globalSetup without the suites' module mapping, so this module imports nothing
 * of the project's: it migrates with `npm run migrate`'s own script, after an (incremental) build.
 */

const repository = fileURLToPath(new URL('../..', import.meta.url));
const MIGRATIONS_FOLDER = join(repository, 'src/database/migrations');
/** Per checkout: templates of older migrations here are removed when a new one is built. */
const EMBEDDED_TEMPLATES = join(repository, 'node_modules/.cache/skypool-test-templates');

function templateKey(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(repository, 'node_modules/@electric-sql/pglite/package.json'))); // its version: the folder's format
  for (const name of readdirSync(MIGRATIONS_FOLDER).sort()) hash.update(`\0${name}\0`).update(readFileSync(join(MIGRATIONS_FOLDER, name)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Server databases are shared by every checkout on the machine: a template is named by its
 * migrations alone, so checkouts with the same migrations (every CI clone of one main) share it
 * and nothing is left behind per clone. None is dropped, since another checkout may be using it:
 * the server keeps one small database per set of migrations that ran tests there.
 */
const TEMPLATE_PREFIX = 'skypool_tpl_';

/** The migrated template database on the PostgreSQL server (its name). */
export const templateDatabaseName = (): string => `${TEMPLATE_PREFIX}${templateKey()}`;

/** The migrated PGlite database folder (the `pgdata` of a data folder). */
const embeddedTemplateFolder = (): string => join(EMBEDDED_TEMPLATES, templateKey());

/** Runs the migrations as `npm run migrate` does, on the embedded database in `dataDir` or on `databaseUrl`. */
function migrate(env: { SKYPOOL_DATA_DIR: string } | { DATABASE_URL: string }): void {
  // the configuration asks for a key with DATABASE_URL; the migrations seal nothing with it
  const key = 'DATABASE_URL' in env ? { SKYPOOL_SECRET_KEY: randomBytes(32).toString('hex') } : {};
  try {
    execFileSync(process.execPath, ['dist/database/migration-cli.js', 'run'], { cwd: repository, env: { PATH: process.env.PATH ?? '', ...key, ...env }, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`could not migrate the test template: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
}

/** Builds the embedded template unless it exists: beside it, then renamed into place, so a run never sees half of one. */
function ensureEmbeddedTemplate(): void {
  const template = embeddedTemplateFolder();
  if (existsSync(template)) return;
  mkdirSync(EMBEDDED_TEMPLATES, { recursive: true });
  const building = mkdtempSync(join(EMBEDDED_TEMPLATES, 'building-'));
  try {
    migrate({ SKYPOOL_DATA_DIR: building });
    for (const name of readdirSync(EMBEDDED_TEMPLATES)) {
      const path = join(EMBEDDED_TEMPLATES, name);
      if (!name.startsWith('building-') && path !== template) rmSync(path, { recursive: true, force: true }); // older migrations'
    }
    try {
      renameSync(join(building, 'pgdata'), template);
    } catch (err) {
      // a run beside this one (.ci/run runs two at once) built it meanwhile
      if (!existsSync(template)) throw err;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/** Gives a new data folder a migrated database (`pgdata`), as a broker's first start would leave it. */
export function seedDataFolder(dataDir: string): void {
  const template = embeddedTemplateFolder();
  if (!existsSync(template)) throw new Error(`no migrated template at ${template}: Jest's globalSetup (test/helpers/migrated-template.ts) builds it`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  cpSync(template, join(dataDir, 'pgdata'), { recursive: true });
}

async function withServer<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const DUPLICATE_DATABASE = '42P04';

/** Builds the template database on the server unless it exists. */
async function ensureServerTemplate(serverUrl: string): Promise<void> {
  const template = templateDatabaseName();
  const exists = await withServer(serverUrl, async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template])).rowCount === 1);
  if (exists) return;
  const building = `skypool_tpl_building_${randomBytes(6).toString('hex')}`;
  await withServer(serverUrl, (client) => client.query(`CREATE DATABASE ${building}`));
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${building}`;
    migrate({ DATABASE_URL: url.toString() });
    await withServer(serverUrl, (client) =>
      client.query(`ALTER DATABASE ${building} RENAME TO ${template}`).catch((err: { code?: string }) => {
        if (err.code !== DUPLICATE_DATABASE) throw err; // another run built it meanwhile
      }),
    );
  } finally {
    await withServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`));
  }
}

/** Jest's globalSetup for the integration suites: builds what is missing, before any suite starts. */
export default async function migrateOnce(): Promise<void> {
  execFileSync(process.execPath, ['src/build.mjs'], { cwd: repository, stdio: 'pipe' }); // dist/ as current as src/: a fraction of a second when it is
  ensureEmbeddedTemplate(); // on PostgreSQL too: suites of broker processes give them a data folder
  if (process.env.DATABASE_URL) await ensureServerTemplate(process.env.DATABASE_URL);
}
