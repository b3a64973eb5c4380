import { appendFileSync } from 'node:fs';

/**
 * What the Slurm programs did, with time stamps: slurmctld keeps none of their output, so each
 * line goes to SKYPOOL_SLURM_LOG (when set) as well as to stderr.
 */
export class SlurmLog {
  constructor(
    private readonly program: string,
    private readonly file: string | undefined,
    private readonly stderr: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  line(node: string | null, message: string): void {
    const line = `${new Date().toISOString()} ${this.program}[${process.pid}] ${node ? `${node}: ` : ''}${message}\n`;
    this.stderr(line);
    if (!this.file) return;
    try {
      appendFileSync(this.file, line);
    } catch (err) {
      this.stderr(`skypool: cannot write to SKYPOOL_SLURM_LOG ${this.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
    }
  }
}
