import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { seedDataFolder } from './helpers/migrated-template.js';

/**
 * PGlite has one session, which the embedded server's successive connections share. The broker's
 * hot statements are prepared by name (database/prepared.ts), and `pg` prepares them again on every
 * new connection: the session must not keep them from the connection before.
 */
describe('the embedded database', () => {
  it('starts each new connection without the prepared statements of the one before', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skypool-prepared-'));
    seedDataFolder(dataDir); // a database made already: no initdb here
    const embedded = await EmbeddedPostgres.start(dataDir);
    const pool = new pg.Pool({ connectionString: embedded.url, max: 1 });
    try {
      const statement = { name: 'embedded_probe', text: 'SELECT $1::int + 1 AS two', values: [1] };
      const first = await pool.connect();
      expect((await first.query(statement)).rows).toEqual([{ two: 2 }]);
      first.release(true); // dropped, as the pool drops a connection idle for a while
      expect((await pool.query(statement)).rows).toEqual([{ two: 2 }]);
    } finally {
      await pool.end();
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
