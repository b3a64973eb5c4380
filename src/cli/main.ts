#!/usr/bin/env node
/**
 * The `skypool` command line. Talks to a broker's GraphQL API (SKYPOOL_URL, SKYPOOL_TOKEN),
 * except `keys rotate`, which works on the database itself with the broker stopped.
 */
import { ApiClient, ApiError } from './api-client.js';
import { CliError, UsageError } from './cli-error.js';
import { emulate } from './emulate-command.js';
import { rotateKeys } from './keys-command.js';
import { applySites, changeSite, listSites } from './sites-command.js';

const USAGE = `usage: skypool <command>
  sites list [--removed]           the federation's sites and their health (--removed: removed ones too)
  sites apply <dir> [--dry-run] [--allow-unhealthy]
                                   create or update the sites described in <dir>/*.yaml, all or none;
                                   a site that cannot be reached or refuses the credentials stops it
                                   (--allow-unhealthy applies it anyway)
  sites drain <name>               no new placements at the site; running leases finish
  sites resume <name>              the site takes placements again
  sites remove <name>              take the site out of the federation (refused while instances run)
  sites restore <name>             bring a removed site back as it was
  keys rotate                      re-seal stored credentials under SKYPOOL_NEW_SECRET_KEY (or a new key)
  emulate <file.yaml> [--port N] [--state FILE]
                                   serve the descriptor's site from the bundled EC2 emulator; --state
                                   keeps its instances in FILE across restarts

environment: SKYPOOL_URL (default http://127.0.0.1:4000), SKYPOOL_TOKEN (default: the embedded
broker's generated admin token in .skypool/admin-token)`;

/** Each command: how many words follow it, the flags it takes alone and those that take a value. */
interface CommandShape {
  operands: string[];
  flags?: string[];
  valueFlags?: string[];
}

const COMMANDS: Record<string, CommandShape> = {
  'sites list': { operands: [], flags: ['--removed'] },
  'sites apply': { operands: ['<dir>'], flags: ['--dry-run', '--allow-unhealthy'] },
  'sites drain': { operands: ['<name>'] },
  'sites resume': { operands: ['<name>'] },
  'sites remove': { operands: ['<name>'] },
  'sites restore': { operands: ['<name>'] },
  'keys rotate': { operands: [] },
  emulate: { operands: ['<file.yaml>'], valueFlags: ['--port', '--state'] },
};

interface Invocation {
  command: string;
  operands: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

/**
 * Splits the arguments against the command's shape. Anything the command does not know is a
 * usage error: a mistyped `--dryrun` must never be taken for no flag at all.
 */
function parseArguments(args: string[]): Invocation {
  const words = args.filter((a) => !a.startsWith('-'));
  const command = COMMANDS[words[0] ?? ''] ? words[0]! : `${words[0] ?? ''} ${words[1] ?? ''}`;
  const shape = COMMANDS[command];
  if (!shape) throw new UsageError(words.length === 0 ? 'no command given' : `unknown command: ${words.slice(0, 2).join(' ')}`);
  const operands: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const commandWords = command.split(' ').length;
  let seenWords = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) {
      if (++seenWords > commandWords) operands.push(arg);
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (shape.valueFlags?.includes(flag)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      values.set(flag, value);
    } else if (shape.flags?.includes(flag) && inline === undefined) {
      flags.add(flag);
    } else {
      const known = [...(shape.flags ?? []), ...(shape.valueFlags ?? [])];
      throw new UsageError(`unknown flag ${flag} for \`skypool ${command}\` (it takes ${known.length > 0 ? known.join(', ') : 'no flags'})`);
    }
  }
  if (operands.length !== shape.operands.length) {
    const expected = shape.operands.length === 0 ? 'nothing' : shape.operands.join(' ');
    throw new UsageError(`\`skypool ${command}\` takes ${expected} after it, got ${operands.length === 0 ? 'nothing' : operands.join(' ')}`);
  }
  return { command, operands, flags, values };
}

const print = (line: string) => console.log(line);

async function run({ command, operands, flags, values }: Invocation): Promise<number> {
  const api = () => ApiClient.fromEnvironment();
  const [target] = operands as [string];
  switch (command) {
    case 'sites list':
      return listSites(api(), { removed: flags.has('--removed') }, print).then(() => 0);
    case 'sites apply':
      return applySites(api(), target, { dryRun: flags.has('--dry-run'), allowUnhealthy: flags.has('--allow-unhealthy') }, print).then(() => 0);
    case 'sites drain':
    case 'sites resume':
    case 'sites remove':
    case 'sites restore':
      return changeSite(api(), command.slice('sites '.length) as 'drain' | 'resume' | 'remove' | 'restore', target, print).then(() => 0);
    case 'keys rotate':
      return rotateKeys(process.env, print).then(() => 0);
    default: {
      const portArg = values.get('--port');
      const port = portArg === undefined ? 8788 : Number(portArg);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected a port number, got ${JSON.stringify(portArg)}`);
      const stop = await emulate(target, { port, stateFile: values.get('--state') }, print);
      await new Promise<void>((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, resolve)));
      await stop();
      return 0;
    }
  }
}

async function main(args: string[]): Promise<number> {
  if (args.length === 0 || args[0] === 'help' || args.includes('--help') || args.includes('-h')) {
    console.error(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  return run(parseArguments(args));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`skypool: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (err instanceof CliError || err instanceof ApiError) console.error(`skypool: ${err.message}`);
    else console.error('skypool: unexpected failure', err);
    process.exit(1);
  },
);
