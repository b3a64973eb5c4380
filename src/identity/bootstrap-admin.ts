import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { newToken } from './tokens.js';

/** The file the embedded database's bootstrap admin token is made into. */
export function adminTokenFile(config: Pick<Config, 'SKYPOOL_DATA_DIR'>): string {
  return join(config.SKYPOOL_DATA_DIR, 'admin-token');
}

/**
 * The bootstrap federation-admin token: SKYPOOL_ADMIN_TOKEN when set. On the embedded database
 * (one broker, a demo or a small site) a token is made once into the data folder instead, so
 * `npm start` with no configuration can be used at once. With DATABASE_URL and no variable
 * there is no bootstrap admin.
 */
export function bootstrapAdminToken(config: Config, logger: Logger): string | undefined {
  if (config.SKYPOOL_ADMIN_TOKEN) return config.SKYPOOL_ADMIN_TOKEN;
  if (config.DATABASE_URL) return undefined;
  const file = adminTokenFile(config);
  if (!existsSync(file)) {
    mkdirSync(config.SKYPOOL_DATA_DIR, { recursive: true });
    writeFileSync(file, newToken() + '\n', { mode: 0o600 });
  }
  logger.info({ file }, 'the federation admin token is in this file (set SKYPOOL_ADMIN_TOKEN to choose your own)');
  return readFileSync(file, 'utf8').trim();
}
