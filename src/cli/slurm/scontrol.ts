import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CliError } from '../cli-error.js';

/** A node as `scontrol show nodes` has it. */
export interface SlurmNode {
  name: string;
  /** The base state and its flags, e.g. IDLE+CLOUD+POWERED_DOWN. */
  state: string;
  addr: string;
  hostname: string;
  reason: string | null;
}

/** How the Slurm programs change Slurm: through `scontrol`, found on the PATH, with Slurm's own environment (SLURM_CONF). */
export interface Scontrol {
  update(node: string, settings: Record<string, string>): Promise<void>;
  nodes(): Promise<SlurmNode[]>;
}

const run = promisify(execFile);

export const scontrol: Scontrol = {
  async update(node, settings) {
    await scontrolCommand(['update', `nodename=${node}`, ...Object.entries(settings).map(([key, value]) => `${key}=${value}`)]);
  },
  async nodes() {
    return parseNodes(await scontrolCommand(['show', 'nodes', '--oneliner']));
  },
};

async function scontrolCommand(args: string[]): Promise<string> {
  try {
    return (await run('scontrol', args, { timeout: 60_000 })).stdout;
  } catch (err) {
    const failure = err as NodeJS.ErrnoException & { stderr?: string };
    const said = failure.code === 'ENOENT' ? 'scontrol is not on the PATH' : (failure.stderr?.trim() || failure.message).split('\n')[0];
    throw new CliError(`scontrol ${args.join(' ')}: ${said}`);
  }
}

/** One node per line, `Key=value` fields; only Reason's value has spaces, and it comes last. */
export function parseNodes(output: string): SlurmNode[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('NodeName='))
    .map((line) => {
      const reason = /\bReason=(.*)$/.exec(line)?.[1]?.trim();
      const fields = new Map(
        line
          .replace(/\bReason=.*$/, '')
          .trim()
          .split(/\s+/)
          .map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)] as const),
      );
      return { name: fields.get('NodeName')!, state: fields.get('State') ?? '', addr: fields.get('NodeAddr') ?? '', hostname: fields.get('NodeHostName') ?? '', reason: reason || null };
    });
}
