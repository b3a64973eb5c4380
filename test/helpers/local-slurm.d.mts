// Types of test/helpers/local-slurm.mjs (plain JavaScript, so that bench/ can import it too).

export const MUNGED: string;

export function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, describe: () => string): Promise<T>;

export function freePorts(count: number): Promise<number[]>;

export function ensureMunged(): Promise<void>;

export function controllerLines(options: { clusterName: string; dir: string; ctldPort: number; slurmdPort: number }): string[];
