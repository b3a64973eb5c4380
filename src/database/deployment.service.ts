import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { SecretBox } from '../common/secret-box.js';
import { ConfigError, type Config } from '../config/config.js';
import type { Db } from './db.js';
import { Deployment } from './deployment.entity.js';
import { finishKeyRotation, keyFile } from './key-rotation.js';

export const DEPLOYMENT = Symbol('DEPLOYMENT');

export interface DeploymentIdentity {
  /** The `skypool:broker` tag value, shared by every broker process on this database. */
  id: string;
  secrets: SecretBox;
}

/**
 * The secret key: given by SKYPOOL_SECRET_KEY, or on the embedded database generated once into
 * the data folder.
 */
const readKey = (file: string) => Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');

function secretKey(config: Config, logger: Logger): Buffer {
  if (config.SKYPOOL_SECRET_KEY) return config.SKYPOOL_SECRET_KEY; // required with DATABASE_URL (see loadConfig)
  const file = keyFile(config.SKYPOOL_DATA_DIR);
  if (existsSync(file)) return readKey(file);
  const key = randomBytes(32);
  mkdirSync(config.SKYPOOL_DATA_DIR, { recursive: true });
  writeFileSync(file, key.toString('hex'), { mode: 0o600 });
  logger.warn({ file }, 'generated a secret key for site credentials; keep it with the data folder, or set SKYPOOL_SECRET_KEY');
  return key;
}

/** Finds or creates this deployment's row and refuses a key that did not seal this database. */
export async function loadDeployment(db: Db, config: Config, logger: Logger): Promise<DeploymentIdentity> {
  let secrets = new SecretBox(secretKey(config, logger));
  const repo = db.manager.getRepository(Deployment);
  // the first start of a deployment inserts the row; every later or concurrent start reads it
  await repo.createQueryBuilder().insert().values({ singleton: 1, brokerId: randomUUID(), keyCheck: secrets.keyCheck() }).orIgnore().execute();
  const deployment = await repo.findOneBy({ singleton: 1 });
  if (deployment && !secrets.matches(deployment.keyCheck) && !config.SKYPOOL_SECRET_KEY) {
    const rotated = finishKeyRotation(config.SKYPOOL_DATA_DIR, (key) => new SecretBox(key).matches(deployment.keyCheck), readKey);
    if (rotated) {
      logger.warn('finished a key rotation that was interrupted: secret.key.new is now the key');
      secrets = new SecretBox(rotated);
    }
  }
  if (!deployment || !secrets.matches(deployment.keyCheck)) {
    throw new ConfigError('SKYPOOL_SECRET_KEY', 'the key this database was sealed with (the one given at its first start)', undefined);
  }
  return { id: deployment.brokerId, secrets };
}
