import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { join, resolve } from 'node:path';
import { DataDirLock } from './data-dir-lock.js';

/**
 * How many `pg` connections the embedded server accepts. PGlite runs one transaction at a time
 * over one shared session, so one connection loses nothing and keeps statements from two
 * connections from interleaving in that session; the pool is sized to match.
 */
export const EMBEDDED_CONNECTIONS = 1;

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served on a loopback port through the
 * ordinary wire protocol, so the broker talks to it with `pg` exactly as to a real server.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lock: DataDirLock | undefined,
    readonly url: string,
  ) {}

  /** Opens (or creates) the database under `dataDir`; `undefined` keeps it in memory. */
  static async start(dataDir: string | undefined): Promise<EmbeddedPostgres> {
    const lock = dataDir === undefined ? undefined : DataDirLock.acquire(resolve(dataDir));
    try {
      const db = dataDir === undefined ? new PGlite() : new PGlite(join(resolve(dataDir), 'pgdata'));
      await db.waitReady;
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: EMBEDDED_CONNECTIONS + 1 }) // one spare while a dropped connection closes;
      await server.start();
      const url = `postgres://postgres@${server.getServerConn()}/postgres`;
      return new EmbeddedPostgres(db, server, lock, url);
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    this.lock?.release();
  }
}
