#!/usr/bin/env node
/**
 * The `skypool` command line. Talks to a broker's GraphQL API (SKYPOOL_URL, SKYPOOL_TOKEN),
 * except `keys rotate`, which works on the database itself with the broker stopped.
 */
import { ApiClient, ApiError } from './api-client.js';
import { CliError } from './cli-error.js';
import { emulate } from './emulate-command.js';
import { rotateKeys } from './keys-command.js';
import { applySites, changeSite, listSites } from './sites-command.js';

const USAGE = `usage: skypool <command>
  sites list                       the federation's sites and their health
  sites apply <dir> [--dry-run]    create or update the sites described in <dir>/*.yaml, all or none
  sites drain <name>               no new placements at the site; running leases finish
  sites resume <name>              the site takes placements again
  sites remove <name>              take the site out of the federation (refused while instances run)
  keys rotate                      re-seal stored credentials under SKYPOOL_NEW_SECRET_KEY (or a new key)
  emulate <file.yaml> [--port N]   serve the descriptor's site from the bundled EC2 emulator

environment: SKYPOOL_URL (default http://127.0.0.1:4000), SKYPOOL_TOKEN (default: the embedded
broker's generated admin token in .skypool/admin-token)`;

const print = (line: string) => console.log(line);

async function main(args: string[]): Promise<number> {
  const flags = new Set(args.filter((a) => a.startsWith('--')));
  const words = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--port');
  const [group, verb, target] = words;
  const api = () => ApiClient.fromEnvironment();
  if (group === 'sites' && verb === 'list') return listSites(api(), print).then(() => 0);
  if (group === 'sites' && verb === 'apply' && target) return applySites(api(), target, flags.has('--dry-run'), print).then(() => 0);
  if (group === 'sites' && (verb === 'drain' || verb === 'resume' || verb === 'remove') && target) return changeSite(api(), verb, target, print).then(() => 0);
  if (group === 'keys' && verb === 'rotate') return rotateKeys(process.env, print).then(() => 0);
  if (group === 'emulate' && verb) {
    const portArg = args[args.indexOf('--port') + 1];
    const port = args.includes('--port') ? Number(portArg) : 8788;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port: expected a port number, got ${JSON.stringify(portArg)}`);
    const stop = await emulate(verb, port, print);
    await new Promise<void>((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, resolve)));
    await stop();
    return 0;
  }
  console.error(USAGE);
  return group === 'help' || flags.has('--help') ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError || err instanceof ApiError) console.error(`skypool: ${err.message}`);
    else console.error('skypool: unexpected failure', err);
    process.exit(1);
  },
);
