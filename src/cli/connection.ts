import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, UsageError } from './cli-error.js';

/** Where the CLI finds a broker it was not told about: the one `npm start` runs on this machine. */
export const DEFAULT_URL = 'http://127.0.0.1:4000';

/** What `skypool login` keeps: one broker and the token for it. */
export interface Profile {
  url: string;
  token: string;
}

export interface Connection {
  url: string;
  token: string | undefined;
  /** where the token came from, for the hint when the broker refuses it */
  tokenSource: string;
}

/** `$XDG_CONFIG_HOME/skypool/config.json`, by default `~/.config/skypool/config.json`. */
export function profilePath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'skypool', 'config.json');
}

/** A broker's URL as the CLI uses it: http(s), without a trailing slash. */
export function normalizeUrl(raw: string, what: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${what}: expected a URL such as ${DEFAULT_URL}, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${what}: expected an http or https URL, got ${JSON.stringify(raw)}`);
  return url.toString().replace(/\/+$/, '');
}

export function readProfile(env: NodeJS.ProcessEnv): Profile | undefined {
  const path = profilePath(env);
  if (!existsSync(path)) return undefined;
  let parsed: Partial<Profile>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Profile>;
  } catch (err) {
    throw new CliError(`${path}: not a profile this CLI wrote (${(err as Error).message}); run \`skypool login\` again`);
  }
  if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string') throw new CliError(`${path}: not a profile this CLI wrote; run \`skypool login\` again`);
  return { url: parsed.url, token: parsed.token };
}

/** Written whole (beside it, then renamed), readable by this account alone. */
export function saveProfile(env: NodeJS.ProcessEnv, profile: Profile): string {
  const path = profilePath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600); // whatever the umask
  renameSync(partial, path);
  return path;
}

/** Whether there was a profile to remove. */
export function removeProfile(env: NodeJS.ProcessEnv): boolean {
  const path = profilePath(env);
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}

const isLoopback = (url: string) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname) || new URL(url).hostname.startsWith('127.');

/**
 * The broker and token to use: `--url`/`--token`, else SKYPOOL_URL/SKYPOOL_TOKEN, else the profile
 * of `skypool login`, else, for a broker on this machine, the admin token the embedded setup wrote
 * into its data folder. A token is only ever sent to the broker it was given for: the profile's to
 * the profile's URL, the data folder's to a loopback address.
 */
export function resolveConnection(flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv): Connection {
  const profile = readProfile(env);
  const url = normalizeUrl(flags.url ?? (env.SKYPOOL_URL || profile?.url || DEFAULT_URL), flags.url ? '--url' : env.SKYPOOL_URL ? 'SKYPOOL_URL' : 'the profile');
  if (flags.token) return { url, token: flags.token, tokenSource: '--token' };
  if (env.SKYPOOL_TOKEN) return { url, token: env.SKYPOOL_TOKEN, tokenSource: 'SKYPOOL_TOKEN' };
  if (env.SKYPOOL_ADMIN_TOKEN) return { url, token: env.SKYPOOL_ADMIN_TOKEN, tokenSource: 'SKYPOOL_ADMIN_TOKEN' };
  if (profile && normalizeUrl(profile.url, 'the profile') === url) return { url, token: profile.token, tokenSource: `the profile (${profilePath(env)})` };
  const tokenFile = join(env.SKYPOOL_DATA_DIR || '.skypool', 'admin-token');
  if (isLoopback(url) && existsSync(tokenFile)) return { url, token: readFileSync(tokenFile, 'utf8').trim(), tokenSource: tokenFile };
  return { url, token: undefined, tokenSource: 'none' };
}
