import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from '../config/config.js';
import { BROKER_APPLICATION_NAME, createDataSource } from './data-source.js';
import { Db } from './db.js';
import { DatabaseUnavailableError } from './database.errors.js';
import { DEPLOYMENT, loadDeployment } from './deployment.service.js';
import { EMBEDDED_CONNECTIONS, EmbeddedPostgres } from './embedded-postgres.js';

const EMBEDDED = Symbol('EMBEDDED');
const SERVER_POOL_SIZE = 20;

/** Closes the pool, then the embedded server (if any), when the application stops. */
@Injectable()
class DatabaseShutdown implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EMBEDDED) private readonly embedded: EmbeddedPostgres | null,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

/**
 * DATABASE_URL -> that PostgreSQL; unset -> the embedded one under SKYPOOL_DATA_DIR.
 * Either way TypeORM talks `pg`, and pending migrations run before anything else starts.
 */
@Global()
@Module({
  providers: [
    {
      provide: EMBEDDED,
      inject: [CONFIG, LOGGER],
      useFactory: async (config: Config, logger: Logger) => {
        if (config.DATABASE_URL) return null;
        const embedded = await EmbeddedPostgres.start(config.SKYPOOL_DATA_DIR);
        logger.info({ dataDir: config.SKYPOOL_DATA_DIR }, 'using the embedded PostgreSQL (one broker process; set DATABASE_URL for more)');
        return embedded;
      },
    },
    {
      provide: DataSource,
      inject: [CONFIG, LOGGER, EMBEDDED],
      useFactory: async (config: Config, logger: Logger, embedded: EmbeddedPostgres | null) => {
        const url = embedded?.url ?? config.DATABASE_URL!;
        const dataSource = createDataSource(url, embedded ? EMBEDDED_CONNECTIONS : SERVER_POOL_SIZE, (m) => logger.warn(m), BROKER_APPLICATION_NAME);
        try {
          await dataSource.initialize();
        } catch (err) {
          throw new DatabaseUnavailableError(embedded ? 'the embedded PostgreSQL' : `the PostgreSQL server of DATABASE_URL (${new URL(url).host})`, err);
        }
        const applied = await dataSource.runMigrations();
        if (applied.length) logger.info({ migrations: applied.map((m) => m.name) }, 'applied database migrations');
        return dataSource;
      },
    },
    {
      provide: Db,
      inject: [DataSource, LOGGER, EMBEDDED],
      useFactory: (dataSource: DataSource, logger: Logger, embedded: EmbeddedPostgres | null) => new Db(dataSource, logger, { namedStatements: embedded === null }),
    },
    { provide: DEPLOYMENT, inject: [Db, CONFIG, LOGGER], useFactory: loadDeployment },
    DatabaseShutdown,
  ],
  exports: [DataSource, Db, DEPLOYMENT],
})
export class DatabaseModule {}
