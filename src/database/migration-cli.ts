/**
 * `npm run migrate`            apply pending migrations to the configured database
 * `npm run migration:check`    fail when the entities and the migrations disagree
 * `npm run migration:generate -- <Name>`  write a migration for the difference
 * check and generate work on a throw-away in-memory embedded database.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { pendingSchemaChanges } from './data-source.js';
import { withDatabase } from './with-database.js';

function migrationSource(name: string, timestamp: number, up: string[], down: string[]): string {
  const lines = (queries: string[]) => queries.map((q) => `    await queryRunner.query(${JSON.stringify(q)});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name}${timestamp} implements MigrationInterface {
  name = '${name}${timestamp}';

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

async function main(): Promise<number> {
  const [command, name] = process.argv.slice(2);
  if (command === 'run') {
    const config = loadConfig();
    return withDatabase(config.DATABASE_URL, config.SKYPOOL_DATA_DIR, async (ds) => {
      const applied = await ds.runMigrations();
      console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'no pending migrations');
      return 0;
    });
  }
  if (command === 'check' || command === 'generate') {
    return withDatabase(undefined, undefined, async (ds) => {
      await ds.runMigrations();
      if (command === 'check') {
        const pending = await pendingSchemaChanges(ds);
        if (pending.length === 0) {
          console.log('migrations match the entities');
          return 0;
        }
        console.error(`entities and migrations disagree; missing from the migrations:\n${pending.join(';\n')}`);
        return 1;
      }
      if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
        console.error('usage: migration:generate -- <PascalCaseName>');
        return 2;
      }
      const log = await ds.driver.createSchemaBuilder().log();
      if (log.upQueries.length === 0) {
        console.log('nothing to generate: migrations match the entities');
        return 0;
      }
      const timestamp = Date.now();
      const file = join('src', 'database', 'migrations', `${timestamp}-${name}.ts`);
      const up = log.upQueries.map((q) => q.query);
      const down = log.downQueries.map((q) => q.query).reverse();
      writeFileSync(file, migrationSource(name, timestamp, up, down));
      console.log(`wrote ${file}; add ${name}${timestamp} to src/database/migrations/index.ts`);
      return 0;
    });
  }
  console.error('usage: migrate | migration:check | migration:generate -- <Name>');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
