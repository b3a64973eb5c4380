import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { SecretBox } from '../common/secret-box.js';
import { BROKER_APPLICATION_NAME } from './data-source.js';
import { Deployment } from './deployment.entity.js';

/** Where the embedded setup keeps its generated key, and the next one while a rotation is under way. */
export const keyFile = (dataDir: string) => join(dataDir, 'secret.key');
export const nextKeyFile = (dataDir: string) => join(dataDir, 'secret.key.new');

/** Connections of running broker processes to this database (besides the caller's own): brokers that hold the current key. */
export async function brokerConnections(dataSource: DataSource): Promise<number> {
  const [row] = (await dataSource.query(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()',
    [BROKER_APPLICATION_NAME],
  )) as { n: number }[];
  return row!.n;
}

/** Every column that holds a value sealed under the secret key: sites' EC2 secrets, webhooks' signing keys. */
const SEALED_COLUMNS = [
  { table: 'site', column: 'secret_access_key_sealed' },
  { table: 'webhook', column: 'secret_sealed' },
] as const;

/**
 * Re-seals every stored secret under the new key and records the new key's check, in one
 * transaction: either everything is under the new key or nothing changed. Returns how many sites'
 * secrets were re-sealed.
 */
export async function resealSecrets(dataSource: DataSource, current: SecretBox, next: SecretBox): Promise<number> {
  return dataSource.transaction(async (manager) => {
    const deployment = await manager.getRepository(Deployment).findOne({ where: { singleton: 1 }, lock: { mode: 'pessimistic_write' } });
    if (!deployment) throw new Error('this database has no deployment yet: start the broker on it once first');
    if (!current.matches(deployment.keyCheck)) throw new Error('the current key is not the one this database was sealed with (SKYPOOL_SECRET_KEY, or secret.key in the data folder)');
    let sites = 0;
    for (const { table, column } of SEALED_COLUMNS) {
      const rows: { id: string; sealed: string }[] = await manager.query(`SELECT id, ${column} AS sealed FROM ${table} FOR UPDATE`);
      for (const row of rows) await manager.query(`UPDATE ${table} SET ${column} = $2 WHERE id = $1`, [row.id, next.seal(current.open(row.sealed))]);
      if (table === 'site') sites = rows.length;
    }
    await manager.getRepository(Deployment).update({ singleton: 1 }, { keyCheck: next.keyCheck() });
    return sites;
  });
}

/**
 * Rotation of a generated key in the data folder: the new key is written beside the old one
 * first, the database re-sealed, then the new key moved into place. A crash in between leaves
 * `secret.key.new`, which the next start recognises (see `finishKeyRotation`).
 */
export async function rotateKeyFile(dataDir: string, newKey: Buffer, reseal: () => Promise<number>): Promise<number> {
  writeFileSync(nextKeyFile(dataDir), newKey.toString('hex'), { mode: 0o600 });
  let sites: number;
  try {
    sites = await reseal();
  } catch (err) {
    rmSync(nextKeyFile(dataDir), { force: true }); // nothing was re-sealed: the old key stays the key
    throw err;
  }
  renameSync(nextKeyFile(dataDir), keyFile(dataDir));
  return sites;
}

/** After a crash between re-sealing and moving the key file: the new key fits, so it becomes the key. */
export function finishKeyRotation(dataDir: string, fits: (key: Buffer) => boolean, readKey: (file: string) => Buffer): Buffer | undefined {
  const next = nextKeyFile(dataDir);
  if (!existsSync(next)) return undefined;
  const key = readKey(next);
  if (!fits(key)) return undefined;
  renameSync(next, keyFile(dataDir));
  return key;
}
