import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

/** TypeORM's query log is off; its warnings and errors go to our logger. */
function typeormLogger(warn: (message: string) => void): TypeOrmLogger {
  return {
    logQuery: () => undefined,
    logQueryError: () => undefined, // the caller sees and reports the error
    logQuerySlow: (time, query) => warn(`slow query (${time} ms): ${query.slice(0, 200)}`),
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: (level, message) => {
      if (level === 'warn') warn(String(message));
    },
  };
}

/** What broker processes call their connections, so that tools such as `skypool keys rotate` can tell whether any runs. */
export const BROKER_APPLICATION_NAME = 'skypool-broker';

/** One code path for both databases: the `pg` driver, migrations only, never `synchronize`. */
export function createDataSource(url: string, poolSize: number, warn: (message: string) => void = () => undefined, applicationName?: string): DataSource {
  return new DataSource({
    type: 'postgres',
    uuidExtension: 'pgcrypto', // gen_random_uuid(), built into PostgreSQL 13+ and PGlite
    installExtensions: false, // nothing to install: the broker needs no extension
    url,
    applicationName,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logger: typeormLogger(warn),
    maxQueryExecutionTime: 2000,
    extra: { max: poolSize, connectionTimeoutMillis: 30_000 },
  });
}

/** SQL that would bring the database in line with the entities; empty when migrations are complete. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const log = await dataSource.driver.createSchemaBuilder().log();
  return log.upQueries.map((q) => q.query);
}
