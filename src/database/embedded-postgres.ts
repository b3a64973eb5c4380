import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { DataDirLock } from './data-dir-lock.js';
import { makeDataFolderPrivate, makePrivate, PRIVATE_FILE_MODE, PRIVATE_UMASK } from './data-folder.js';

/**
 * How many `pg` connections the embedded server accepts. PGlite runs one transaction at a time
 * over one shared session, so one connection loses nothing and keeps statements from two
 * connections from interleaving in that session; the pool is sized to match.
 */
export const EMBEDDED_CONNECTIONS = 1;

/** `pg`, like libpq, finds a server's socket in a folder by this name; the port is only part of the name. */
const SOCKET_PORT = 5432;
const SOCKET_NAME = `.s.PGSQL.${SOCKET_PORT}`;
/** The longest path a Unix socket may have on Linux (`sun_path` is 108 bytes, with the closing NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * initdb sizes shared_buffers for a server (128 MB). Each buffer PostgreSQL touches stays resident
 * in PGlite's WebAssembly memory, which never shrinks; one broker's database needs far fewer.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * V8 compiles PGlite's WebAssembly with its baseline compiler, then recompiles hot functions with
 * its optimising one in the background. That second step keeps 40 to 100 MB more resident for
 * good, and measured on the queries a broker makes it gained no speed (on a busy machine it lost
 * some): baseline code only. The flag must be set before PGlite compiles its module; it concerns
 * only WebAssembly, of which PGlite is nearly all in the process.
 */
const BASELINE_WASM_ONLY = '--liftoff-only';

/** Where a first start builds the database folder before renaming it into place. */
const INITDB_PREFIX = 'pgdata.init-';

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served through the ordinary wire protocol on a
 * Unix socket that only the broker's user can open (no TCP port), so the broker talks to it with
 * `pg` exactly as to a real server and no other local account can reach it.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lock: DataDirLock | undefined,
    private readonly pgdata: string | undefined,
    /** A folder made for the socket alone, removed at stop. */
    private readonly temporarySocketFolder: string | undefined,
    readonly url: string,
  ) {}

  /** Opens (or creates) the database under `dataDir`; `undefined` keeps it in memory. */
  static async start(dataDir: string | undefined): Promise<EmbeddedPostgres> {
    process.umask(PRIVATE_UMASK); // what this process creates from now on (database files, socket, keys) is its own
    setFlagsFromString(BASELINE_WASM_ONLY);
    const folder = dataDir === undefined ? undefined : resolve(dataDir);
    const lock = folder === undefined ? undefined : DataDirLock.acquire(folder);
    let temporarySocketFolder: string | undefined;
    let db: PGlite | undefined;
    try {
      if (folder !== undefined) makeDataFolderPrivate(folder);
      if (folder === undefined || !fitsSocketPath(folder)) temporarySocketFolder = makeTemporarySocketFolder();
      const socketFolder = temporarySocketFolder ?? folder!;
      const pgdata = folder === undefined ? undefined : await databaseFolder(folder);
      db = new PGlite(pgdata, { startParams: START_PARAMS });
      await db.waitReady;
      if (pgdata !== undefined) makePrivate(pgdata); // see stop()
      const socket = join(socketFolder, SOCKET_NAME);
      rmSync(socket, { force: true }); // left by a broker that was killed: the lock is ours, so nobody serves it
      const server = new PGLiteSocketServer({ db, path: socket, maxConnections: EMBEDDED_CONNECTIONS + 1 }); // one spare while a dropped connection closes
      await server.start();
      chmodSync(socket, PRIVATE_FILE_MODE);
      const url = `postgres://postgres@/postgres?host=${encodeURIComponent(socketFolder)}&port=${SOCKET_PORT}`;
      return new EmbeddedPostgres(db, server, lock, pgdata, temporarySocketFolder, url);
    } catch (err) {
      await db?.close().catch(() => undefined);
      if (temporarySocketFolder) rmSync(temporarySocketFolder, { recursive: true, force: true });
      lock?.release();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    // PGlite's file layer applies a mask of its own (022) to the few files PostgreSQL creates with
    // fopen (relation cache and statistics files, written at start and stop): made private here
    // and after opening; in between they are out of others' reach in the 0700 data folder.
    if (this.pgdata !== undefined) makePrivate(this.pgdata);
    if (this.temporarySocketFolder) rmSync(this.temporarySocketFolder, { recursive: true, force: true });
    this.lock?.release();
  }
}

function fitsSocketPath(folder: string): boolean {
  return Buffer.byteLength(join(folder, SOCKET_NAME)) <= MAX_SOCKET_PATH_BYTES;
}

/** For a database in memory, or a data folder whose path is too long for a socket: a new folder only this user can enter. */
function makeTemporarySocketFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'skypool-db-')); // mode 0700
  if (!fitsSocketPath(folder)) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`cannot serve the embedded database: the temporary folder ${folder} is too long a path for a Unix socket (set TMPDIR to a shorter one)`);
  }
  return folder;
}

/**
 * The database folder inside the data folder. The first start creates it in a short-lived child
 * process: initdb runs a second PostgreSQL instance, and as WebAssembly memory never shrinks,
 * in the broker it would stay resident for good (some 400 MB). The child builds it in a folder of
 * its own beside it, renamed into place when complete, so a start killed half-way leaves no
 * half-made database behind (and a child it left running writes nowhere that matters).
 */
async function databaseFolder(dataDir: string): Promise<string> {
  const pgdata = join(dataDir, 'pgdata');
  if (existsSync(pgdata)) return pgdata;
  for (const name of readdirSync(dataDir)) {
    if (name.startsWith(INITDB_PREFIX)) rmSync(join(dataDir, name), { recursive: true, force: true }); // left by a first start that was killed
  }
  const building = mkdtempSync(join(dataDir, INITDB_PREFIX));
  const pglite = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const initdb = `process.umask(${PRIVATE_UMASK}); const { PGlite } = await import(process.argv[1]); const db = new PGlite(process.argv[2]); await db.waitReady; await db.close();`;
  await new Promise<void>((done, fail) => {
    execFile(process.execPath, [BASELINE_WASM_ONLY, '--input-type=module', '--eval', initdb, pglite, building], (err, _stdout, stderr) =>
      err ? fail(new Error(`could not create the embedded database in ${pgdata}: ${stderr.trim() || err.message}`)) : done(),
    );
  });
  makePrivate(building); // PGlite unpacks initdb's files with mode 0666, whatever the umask
  renameSync(building, pgdata);
  return pgdata;
}
