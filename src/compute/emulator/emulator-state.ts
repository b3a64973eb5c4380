import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

/** Writes the whole state to a temporary file, then renames it over the old one (atomic on POSIX). */
export function saveState(file: string, state: StoredEmulatorState): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state, null, 1));
  renameSync(temporary, file);
}
