import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Only the broker's own user may enter the data folder or read what is in it. */
export const PRIVATE_FOLDER_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** The file-creation mask of a process that serves the embedded database: what it creates is for its own user only. */
export const PRIVATE_UMASK = 0o077;

/**
 * What the broker keeps in its data folder: the embedded database, the generated admin token and
 * secret key (and the next key during a rotation), the lock, the emulated sites' state. Only
 * these are tightened at start, so a data folder pointed at a shared place (a home folder) does
 * not have everything else in it changed.
 */
const BROKER_ENTRIES = ['pgdata', 'admin-token', 'secret.key', 'secret.key.new', 'broker.lock', 'emulator-state.json'];

/**
 * Creates the data folder private, or makes an existing one private again: the folder 0700, and
 * everything the broker keeps there 0600 (folders 0700), whatever an older version or a copy left.
 */
export function makeDataFolderPrivate(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  chmodSync(dataDir, PRIVATE_FOLDER_MODE);
  for (const entry of BROKER_ENTRIES) makePrivate(join(dataDir, entry));
}

/** Tightens a file, or a folder and all it holds; never follows a symbolic link out of the data folder. */
export function makePrivate(path: string): void {
  let stats;
  try {
    stats = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (stats.isSymbolicLink()) return;
  if (stats.isDirectory()) {
    if ((stats.mode & 0o777) !== PRIVATE_FOLDER_MODE) chmodSync(path, PRIVATE_FOLDER_MODE);
    for (const name of readdirSync(path)) makePrivate(join(path, name));
  } else if ((stats.mode & 0o077) !== 0) {
    chmodSync(path, PRIVATE_FILE_MODE);
  }
}
