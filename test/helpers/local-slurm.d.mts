// Types of test/helpers/local-slurm.mjs (plain JavaScript, so that bench/ can import it too).

export function freePorts(count: number): Promise<number[]>;

export function ensureMunged(): Promise<void>;

export function controllerLines(options: { clusterName: string; dir: string; ctldPort: number; slurmdPort: number }): string[];
