import { createDataSource } from './data-source.js';
import { EMBEDDED_CONNECTIONS, EmbeddedPostgres } from './embedded-postgres.js';

/**
 * For command-line tools: the configured PostgreSQL, or the embedded one in `dataDir` (locked,
 * so a running broker is never opened twice; no data dir: a throw-away in-memory database).
 */
export async function withDatabase<T>(url: string | undefined, dataDir: string | undefined, work: (ds: ReturnType<typeof createDataSource>) => Promise<T>): Promise<T> {
  const embedded = url === undefined ? await EmbeddedPostgres.start(dataDir) : undefined;
  const dataSource = createDataSource(url ?? embedded!.url, url === undefined ? EMBEDDED_CONNECTIONS : 2);
  try {
    await dataSource.initialize();
    return await work(dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}
