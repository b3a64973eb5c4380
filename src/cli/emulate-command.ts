import { readFileSync } from 'node:fs';
import { Ec2Emulator } from '../compute/emulator/index.js';
import { DescriptorError, emulatorSiteOf, readDescriptor } from '../sites/site-descriptors.js';
import { CliError } from './cli-error.js';

/** How long a stopping `skypool emulate` answers the calls under way (longer than any latency a test injects). */
const DRAIN_MS = 30_000;

/**
 * `skypool emulate <descriptor.yaml> [--port N]`: serves one site of the bundled EC2 emulator
 * with the descriptor's own credentials, at `http://127.0.0.1:<port>/<name>` — a stand-in for a
 * real cloud while trying out a descriptor. Runs until stopped (SIGTERM, Ctrl-C): then it refuses
 * new connections but answers the calls under way first.
 */
export async function emulate(file: string, port: number, print: (line: string) => void): Promise<() => Promise<void>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  let descriptor;
  try {
    descriptor = readDescriptor(file, text);
  } catch (err) {
    if (err instanceof DescriptorError) throw new CliError(err.message);
    throw err;
  }
  const { spec } = descriptor;
  const emulator = new Ec2Emulator();
  emulator.upsertSite(emulatorSiteOf(spec, descriptor));
  const base = await emulator.listen(port);
  print(`emulating site ${spec.name} at ${base}/${spec.name} (an EC2 test double, not a real cloud); Ctrl-C stops it`);
  return () => emulator.close({ drainMs: DRAIN_MS });
}
