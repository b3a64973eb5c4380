import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bearerToken, Ec2Emulator } from '../compute/emulator/index.js';
import { ConfigError } from '../config/config.js';
import { credentialSourcesFrom, DescriptorError, emulatorSiteOf, readDescriptor } from '../sites/site-descriptors.js';
import { CliError } from './cli-error.js';

/** How long a stopping `skypool emulate` answers the calls under way (longer than any latency a test injects). */
const DRAIN_MS = 30_000;

/**
 * `skypool emulate <descriptor.yaml> [--port N] [--state FILE]`: serves one site of the bundled
 * EC2 emulator with the descriptor's own credentials, at `http://127.0.0.1:<port>/<name>` — a
 * stand-in for a real cloud while trying out a descriptor. With `--state` its instances survive a
 * restart (even a SIGKILL: a change is on disk before it is answered). Its instance listing takes
 * SKYPOOL_ADMIN_TOKEN, or a token made up at start and printed. Runs until stopped (SIGTERM,
 * Ctrl-C): then it refuses new connections but answers the calls under way first.
 */
export async function emulate(file: string, options: { port: number; stateFile?: string; json: boolean }, print: (line: string) => void): Promise<() => Promise<void>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  let descriptor;
  try {
    descriptor = readDescriptor(file, text, credentialSourcesFrom(process.env));
  } catch (err) {
    if (err instanceof DescriptorError || err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  const { spec } = descriptor;
  const listingToken = process.env.SKYPOOL_ADMIN_TOKEN || randomBytes(24).toString('base64url');
  let emulator: Ec2Emulator;
  try {
    emulator = new Ec2Emulator({ stateFile: options.stateFile, authorizeListing: bearerToken(listingToken) });
  } catch (err) {
    throw new CliError((err as Error).message); // a state file it cannot read
  }
  emulator.upsertSite(emulatorSiteOf(spec, descriptor));
  const base = await emulator.listen(options.port);
  const stop = () => emulator.close({ drainMs: DRAIN_MS });
  if (options.json) {
    // one line, printed once it listens: the token only when it was made up here
    print(JSON.stringify({ site: spec.name, endpoint: `${base}/${spec.name}`, stateFile: options.stateFile ?? null, listingToken: process.env.SKYPOOL_ADMIN_TOKEN ? null : listingToken }));
    return stop;
  }
  print(`emulating site ${spec.name} at ${base}/${spec.name} (an EC2 test double, not a real cloud); Ctrl-C stops it`);
  print(options.stateFile ? `its instances are kept in ${options.stateFile}` : 'its instances are kept in memory only (--state FILE keeps them across restarts)');
  print(
    `its instance listing, ${base}/${spec.name}/instances, takes Authorization: Bearer ${process.env.SKYPOOL_ADMIN_TOKEN ? '$SKYPOOL_ADMIN_TOKEN' : listingToken}`,
  );
  return stop;
}
