import type { Config } from '../config/config.js';
import { adminTokenFile } from './bootstrap-admin.js';

/** A sign-in link works once, within this time of the start that printed it. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;

/**
 * Whether the broker prints a one-time sign-in link as the federation administrator at start, as
 * Jupyter does: on the embedded database, where whoever starts the broker is its operator at the
 * console (the admin token is in the data folder, or SKYPOOL_ADMIN_TOKEN); never with
 * DATABASE_URL, a real deployment whose logs others may read.
 */
export function signInLinkAtStart(config: Pick<Config, 'DATABASE_URL'>): boolean {
  return !config.DATABASE_URL;
}

/** What a browser reads when the link is spent, unknown or too old: what to do instead. */
export function signInLinkRefusal(config: Pick<Config, 'DATABASE_URL' | 'SKYPOOL_ADMIN_TOKEN' | 'SKYPOOL_DATA_DIR'>): string {
  if (!signInLinkAtStart(config)) return 'this broker prints no sign-in links (it runs with DATABASE_URL); sign in with an API token';
  const where = config.SKYPOOL_ADMIN_TOKEN ? 'set in SKYPOOL_ADMIN_TOKEN' : `in ${adminTokenFile(config)}`;
  return `this sign-in link has been used or has expired; restart the broker for a new one, or sign in with the token ${where}`;
}
