/** Memory in the largest whole unit that reads naturally: 4096 -> "4 GiB", 1536 -> "1.5 GiB". */
export function formatMemory(mib: number): string {
  if (mib >= 1024 * 1024) return `${round(mib / (1024 * 1024))} TiB`;
  if (mib >= 1024) return `${round(mib / 1024)} GiB`;
  return `${mib} MiB`;
}

const round = (n: number) => Math.round(n * 10) / 10;

export function formatHours(hours: number): string {
  return hours >= 100 ? Math.round(hours).toLocaleString('en') : round(hours).toLocaleString('en');
}

/** A moment in the reader's time zone, to the minute. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * Memory as typed in a form: a number of MiB, or a number with a unit (4G, 4 GiB, 512M, 1T).
 * Undefined when it cannot be read.
 */
export function parseMemory(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(m|mi|mib|mb|g|gi|gib|gb|t|ti|tib|tb)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 'm').toLowerCase()[0];
  const mib = Number(match[1]) * (unit === 't' ? 1024 * 1024 : unit === 'g' ? 1024 : 1);
  return Number.isInteger(mib) ? mib : undefined;
}

/** A whole number typed in a form, or undefined. */
export function parseCount(text: string): number | undefined {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;
}

/** The account a cloud image is usually reached with (cloud-init's default user). */
export function loginUserOf(image: string): string {
  const known = ['ubuntu', 'debian', 'rocky', 'almalinux', 'centos', 'fedora'];
  return known.find((name) => image.toLowerCase().startsWith(name.slice(0, 4))) ?? 'root';
}
