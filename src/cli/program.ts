import { Command, Option } from 'commander';
import { ApiClient } from './api-client.js';
import { UsageError } from './cli-error.js';
import { DEFAULT_URL, resolveConnection } from './connection.js';
import { emulate } from './emulate-command.js';
import { rotateKeys } from './keys-command.js';
import { login, logout, whoami } from './session-commands.js';
import { applySites, changeSite, listSites } from './sites-command.js';

const print = (line: string) => console.log(line);

/** The broker to talk to, from the global flags, the environment or the profile. */
function api(command: Command): ApiClient {
  const { url, token } = command.optsWithGlobals<{ url?: string; token?: string }>();
  return new ApiClient(resolveConnection({ url, token }, process.env));
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port: expected a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  return port;
}

/**
 * The `skypool` command tree. Help is generated from it; an unknown command or flag is a usage
 * error (exit 2) with the nearest known one suggested: a mistyped `--dryrun` must never be taken
 * for no flag at all.
 */
export function buildProgram(): Command {
  const program = new Command('skypool')
    .description('Skypool, the federated science cloud broker, from the command line')
    .addOption(new Option('--url <url>', `the broker's URL (else SKYPOOL_URL, else the login profile's, else ${DEFAULT_URL})`))
    .addOption(new Option('--token <token>', "an API token (else SKYPOOL_TOKEN, else the login profile's, else the embedded broker's admin token on its own machine)"))
    .exitOverride()
    .showHelpAfterError('(see `skypool --help`, or `skypool <command> --help`)')
    .configureOutput({ outputError: (message, write) => write(`skypool: ${message.replace(/^error: /, '')}`) });

  program
    .command('login')
    .description('keep a broker URL and an API token (asked for without echo, or read from stdin) in ~/.config/skypool/config.json')
    .action(async (_options, command: Command) => login(command.optsWithGlobals<{ url?: string }>().url, process.env, print));
  program
    .command('logout')
    .description('forget the profile written by `skypool login`')
    .action(() => logout(process.env, print));
  program
    .command('whoami')
    .description('who the broker takes your token for, with your roles and projects')
    .option('--json', 'print the answer as one JSON value')
    .action(async (options: { json?: boolean }, command: Command) => whoami(api(command), options.json ?? false, print));

  const sites = program.command('sites').description("the federation's sites (site and federation admins)");
  sites
    .command('list')
    .description("the federation's sites and their health")
    .option('--removed', 'removed sites too')
    .action(async (options: { removed?: boolean }, command: Command) => listSites(api(command), { removed: options.removed ?? false }, print));
  sites
    .command('apply')
    .description('create or update the sites described in <dir>/*.yaml, all or none; a site that cannot be reached or refuses the credentials stops it')
    .argument('<dir>', 'a folder of site descriptors')
    .option('--dry-run', 'show what would change, change nothing')
    .option('--allow-unhealthy', 'apply sites that fail their probe anyway')
    .action(async (dir: string, options: { dryRun?: boolean; allowUnhealthy?: boolean }, command: Command) =>
      applySites(api(command), dir, { dryRun: options.dryRun ?? false, allowUnhealthy: options.allowUnhealthy ?? false }, print),
    );
  const siteChanges = {
    drain: 'no new placements at the site; running leases finish',
    resume: 'the site takes placements again',
    remove: 'take the site out of the federation (refused while instances run)',
    restore: 'bring a removed site back as it was',
  } as const;
  for (const [verb, description] of Object.entries(siteChanges) as [keyof typeof siteChanges, string][]) {
    sites
      .command(verb)
      .description(description)
      .argument('<name>', "the site's name")
      .action(async (name: string, _options, command: Command) => changeSite(api(command), verb, name, print));
  }

  program
    .command('keys')
    .description('the key that seals stored site credentials')
    .command('rotate')
    .description('re-seal stored credentials under SKYPOOL_NEW_SECRET_KEY (or a new key), with the broker stopped')
    .action(() => rotateKeys(process.env, print));

  program
    .command('emulate')
    .description("serve the descriptor's site from the bundled EC2 emulator until stopped")
    .argument('<file.yaml>', 'a site descriptor')
    .addOption(new Option('--port <port>', 'the port to listen on').default(8788).argParser(portNumber))
    .option('--state <file>', 'keep the instances in this file across restarts')
    .action(async (file: string, options: { port: number; state?: string }) => {
      const stop = await emulate(file, { port: options.port, stateFile: options.state }, print);
      await new Promise<void>((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, resolve)));
      await stop();
    });

  return program;
}
