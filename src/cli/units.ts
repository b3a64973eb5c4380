import { UsageError } from './cli-error.js';

/** Mebibytes per unit, as people write sizes of memory (MB and GB taken as MiB and GiB, as clouds' flavors do). */
const SIZE_UNITS: Record<string, number> = { '': 1, m: 1, mb: 1, mib: 1, g: 1024, gb: 1024, gib: 1024, t: 1024 * 1024, tb: 1024 * 1024, tib: 1024 * 1024 };

/** `2048` (MiB), `2048MiB`, `4GiB`, `4G`, `1.5GiB`: a whole number of MiB. */
export function parseMemorySize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new UsageError(`${flag}: expected a size such as 2048 (MiB), 2048MiB or 4GiB, got ${JSON.stringify(text)}`);
  const mib = Number(match[1]) * unit;
  if (!Number.isInteger(mib) || mib <= 0) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a whole number of MiB above 0`);
  return mib;
}

const SECONDS_PER_UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * `90m`, `4h`, `3d`, `30s`, `1h30m` in seconds. A plain number is in `bareUnit` (`--lease 8` means
 * hours, `--timeout 30` seconds).
 */
export function parseDuration(text: string, flag: string, bareUnit: 's' | 'h'): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * SECONDS_PER_UNIT[bareUnit]!;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)([smhd])/gi)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UsageError(`${flag}: expected a duration such as 90m, 4h, 3d${bareUnit === 'h' ? ' or a number of hours' : ', 30s or a number of seconds'}, got ${JSON.stringify(text)}`);
  }
  return parts.reduce((seconds, [, amount, unit]) => seconds + Number(amount) * SECONDS_PER_UNIT[unit!.toLowerCase()]!, 0);
}

/** A count of something (vCPUs, instances, an index): a whole number from `min`. */
export function parseWholeNumber(text: string, flag: string, min = 1): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw new UsageError(`${flag}: expected a whole number from ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

export interface TagFlag {
  key: string;
  value: string;
}

/** `--tag key=value`: the value may be empty or hold `=`; the broker checks the rest. */
export function parseTag(text: string): TagFlag {
  const split = text.indexOf('=');
  if (split < 1) throw new UsageError(`--tag: expected key=value, e.g. slurm:node=cloud3, got ${JSON.stringify(text)}`);
  return { key: text.slice(0, split), value: text.slice(split + 1) };
}
