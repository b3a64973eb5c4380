/**
 * `npm run schema:write`  writes the schema the broker serves to schema.graphql
 * `npm run schema:check`  fails when schema.graphql differs from what the broker serves
 * The schema comes from a real broker started on a throw-away embedded database.
 */
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../broker.js';
import { loadConfig } from '../config/config.js';

const SCHEMA_FILE = 'schema.graphql';
const HEADER = '# The Skypool API contract, emitted from the code (npm run schema:write). Do not edit by hand.\n\n';

async function servedSchema(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skypool-schema-'));
  const broker = await startBroker(loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', SKYPOOL_SITES: '', SKYPOOL_DATA_DIR: dataDir }));
  try {
    return HEADER + printSchema(lexicographicSortSchema(broker.app.get(GraphQLSchemaHost).schema)) + '\n';
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const command = process.argv[2];
  const schema = await servedSchema();
  if (command === 'write') {
    writeFileSync(SCHEMA_FILE, schema);
    console.log(`wrote ${SCHEMA_FILE}`);
    return 0;
  }
  if (command === 'check') {
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // missing counts as different
    }
    if (committed === schema) {
      console.log(`${SCHEMA_FILE} matches the served schema`);
      return 0;
    }
    console.error(`${SCHEMA_FILE} differs from the schema the broker serves: run \`npm run schema:write\` and review the diff`);
    return 1;
  }
  console.error('usage: schema:write | schema:check');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
