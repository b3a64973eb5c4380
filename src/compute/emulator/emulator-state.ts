import { readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * What the emulator keeps across restarts, per site: instances and the ClientToken map.
 * Site specs (with their secrets) are not stored: whoever starts the emulator upserts them again.
 */

export interface StoredInstance {
  /** Launch order within the site; paging and listing follow it. */
  seq: number;
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  /** What the instance type allocated at launch, so capacity stays right if the spec changes. */
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  availabilityZone: string;
  privateIp: string;
  /** ISO-8601. */
  launchTime: string;
  amiLaunchIndex: number;
  clientToken?: string;
  /** Base64, exactly as received. */
  userData?: string;
  tags: Record<string, string>;
  /** ISO-8601; set by TerminateInstances. */
  terminateRequestedAt?: string;
  // The fields below came later: state files written before them lack them.
  securityGroupIds?: string[];
  subnetId?: string;
  keyName?: string;
  /** Only when RunInstances asked for a public address. */
  publicIp?: string;
  /** Launched while the site's `stuckPending` fault was set: never leaves `pending`. */
  stuckPending?: true;
}

export interface StoredClientToken {
  reservationId: string;
  instanceIds: string[];
  /** The request's parameters: the same token with other parameters is IdempotentParameterMismatch. */
  fingerprint: string;
}

export interface StoredSiteState {
  instances: StoredInstance[];
  clientTokens: Record<string, StoredClientToken>;
  nextSeq: number;
  nextHost: number;
}

export interface StoredEmulatorState {
  version: 1;
  sites: Record<string, StoredSiteState>;
}

export const emptySiteState = (): StoredSiteState => ({ instances: [], clientTokens: {}, nextSeq: 1, nextHost: 10 });

/** Reads the state file; a missing file is an empty emulator, an unreadable one is an error that names the file. */
export function loadState(file: string): StoredEmulatorState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, sites: {} };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`EC2 emulator state file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const state = parsed as Partial<StoredEmulatorState> | null;
  if (!state || state.version !== 1 || typeof state.sites !== 'object' || state.sites === null) {
    throw new Error(`EC2 emulator state file ${file} has an unknown format (expected version 1)`);
  }
  return { version: 1, sites: state.sites };
}

/**
 * Writes the whole state durably: to a temporary file (0600, in folders made 0700: instances
 * carry user-data and tags), flushed to disk, renamed over the old one (atomic on POSIX), and the
 * rename flushed too. When it resolves, a crash of the process or of the machine keeps it.
 */
export async function saveState(file: string, state: StoredEmulatorState): Promise<void> {
  const text = JSON.stringify(state); // the state as it is now, before anything else can change it
  const folder = dirname(file);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.chmod(0o600); // a leftover of an earlier process may have had another mode
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  const directory = await open(folder, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
