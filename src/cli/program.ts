import { Command, Option } from 'commander';
import { ApiClient } from './api-client.js';
import { UsageError } from './cli-error.js';
import { DEFAULT_URL, resolveConnection } from './connection.js';
import { emulate } from './emulate-command.js';
import { rotateKeys } from './keys-command.js';
import { colours, type Print } from './output.js';
import { cancel, extend, list, plan, show, ssh, submit, wait, watch, type OutputOptions, type SubmitFlags } from './request-commands.js';
import { listProjects } from './project-commands.js';
import { login, logout, whoami } from './session-commands.js';
import { applySites, changeSite, listSites } from './sites-command.js';
import { parseDuration, parseMemorySize, parseWholeNumber } from './units.js';

const print: Print = (line) => console.log(line);

interface GlobalFlags {
  url?: string;
  token?: string;
  json?: boolean;
  quiet?: boolean;
}

/** The broker to talk to, from the global flags, the environment or the profile. */
function api(command: Command): ApiClient {
  const { url, token } = command.optsWithGlobals<GlobalFlags>();
  return new ApiClient(resolveConnection({ url, token }, process.env));
}

function output(command: Command): OutputOptions {
  return { json: command.optsWithGlobals<GlobalFlags>().json ?? false, colour: colours(process.stdout, process.env), print };
}

const quiet = (command: Command) => command.optsWithGlobals<GlobalFlags>().quiet ?? false;

/** Repeatable flags (`--site a --site b`) collect into a list. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

const RESOURCE_FLAGS = {
  project: "the project's name or id",
  image: 'the image, by the federation name sites map (e.g. ubuntu-22.04)',
} as const;

/** The flags `plan` and `submit` share: the shape of the request. */
function requestShape(command: Command): Command {
  return command
    .requiredOption('--project <project>', RESOURCE_FLAGS.project)
    .requiredOption('--image <image>', RESOURCE_FLAGS.image)
    .requiredOption('--vcpus <n>', 'vCPUs per instance', (v) => parseWholeNumber(v, '--vcpus'))
    .requiredOption('--memory <size>', 'memory per instance: 2048 (MiB), 2048MiB, 4GiB', (v) => parseMemorySize(v, '--memory'))
    .option('--gpus <n>', 'GPUs per instance', (v) => parseWholeNumber(v, '--gpus', 0))
    .option('--count <n>', 'instances (default 1)', (v) => parseWholeNumber(v, '--count'))
    .option('--min-count <n>', 'start nothing until at least this many can start together (a gang; default --count)', (v) => parseWholeNumber(v, '--min-count'))
    .requiredOption('--lease <duration>', 'how long the instances run: 90m, 4h, 3d, or a number of hours', (v) => parseDuration(v, '--lease', 'h'))
    .option('--site <site>', 'only this site (repeatable)', collect)
    .option('--prefer-site <site>', 'prefer this site where it fits (repeatable)', collect)
    .option('--require <key=value>', 'a label the sites must have, e.g. gpu=a100 (repeatable)', collect);
}

interface ShapeOptions {
  project: string;
  image: string;
  vcpus: number;
  memory: number;
  gpus?: number;
  count?: number;
  minCount?: number;
  lease: number;
  site?: string[];
  preferSite?: string[];
  require?: string[];
  userData?: string;
  sshKey?: string;
  idempotencyKey?: string;
}

const submitFlags = (o: ShapeOptions): SubmitFlags => ({
  project: o.project,
  image: o.image,
  vcpus: o.vcpus,
  memoryMiB: o.memory,
  gpus: o.gpus,
  count: o.count,
  minCount: o.minCount,
  leaseSeconds: o.lease,
  sites: o.site,
  preferSites: o.preferSite,
  requirements: o.require,
  userDataFile: o.userData,
  sshKeyFile: o.sshKey,
  idempotencyKey: o.idempotencyKey,
});

const timeoutOption = () => new Option('--timeout <duration>', 'give up (exit 4) after this long: 30s, 10m, 2h').argParser((v) => parseDuration(v, '--timeout', 's'));

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
    .option('--json', 'print what the broker answered as one JSON value on stdout')
    .option('--quiet', 'no progress on stderr')
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
    .action(async (_options, command: Command) => whoami(api(command), output(command).json, print));

  program
    .command('projects')
    .description('the projects you may see: vCPUs and memory in use of their limits, the core-hours left')
    .action(async (_options, command: Command) => listProjects(api(command), output(command)));

  requestShape(program.command('plan').description('what would happen to a request now (where it would run, or why it would wait), without submitting it')).action(
    async (options: ShapeOptions, command: Command) => plan(api(command), submitFlags(options), output(command)),
  );
  requestShape(program.command('submit').description('ask for instances; prints the request id (with --wait, follows it until it runs)'))
    .option('--user-data <file>', 'cloud-init user data for the instances')
    .option('--ssh-key <file>', 'an SSH public key to install (e.g. ~/.ssh/id_ed25519.pub)')
    .option('--idempotency-key <key>', 'submitting again with the same key returns the same request')
    .option('--wait', 'follow the request until it runs (or ends), showing each state on stderr')
    .addOption(timeoutOption())
    .action(async (options: ShapeOptions & { wait?: boolean; timeout?: number }, command: Command) =>
      submit(api(command), submitFlags(options), { wait: options.wait ?? false, timeoutSeconds: options.timeout, quiet: quiet(command) }, output(command)),
    );
  program
    .command('list')
    .description('your requests, newest first')
    .option('--project <project>', RESOURCE_FLAGS.project)
    .option('--state <state>', 'only requests in this state (repeatable)', collect)
    .action(async (options: { project?: string; state?: string[] }, command: Command) => list(api(command), { project: options.project, states: options.state }, output(command)));
  program
    .command('show')
    .description('a request: its instances, why it waits (each site\'s verdict) and its history')
    .argument('<id>', "the request's id")
    .action(async (id: string, _options, command: Command) => show(api(command), id, output(command)));
  program
    .command('wait')
    .description('wait until a request is in a state (exit 1 if it ends in another, 4 on --timeout)')
    .argument('<id>', "the request's id")
    .option('--for <state>', 'the state to wait for', 'RUNNING')
    .addOption(timeoutOption())
    .action(async (id: string, options: { for: string; timeout?: number }, command: Command) =>
      wait(api(command), id, { target: options.for, timeoutSeconds: options.timeout, quiet: quiet(command) }, output(command)),
    );
  program
    .command('watch')
    .description('print each change of a request until it ends')
    .argument('<id>', "the request's id")
    .action(async (id: string, _options, command: Command) => watch(api(command), id, output(command)));
  program
    .command('cancel')
    .description('cancel a request; its instances are terminated')
    .argument('<id>', "the request's id")
    .action(async (id: string, _options, command: Command) => cancel(api(command), id, output(command)));
  program
    .command('extend')
    .description("extend a running request's lease")
    .argument('<id>', "the request's id")
    .requiredOption('--hours <hours>', 'the lease then ends this many hours from now', (v) => parseDuration(v, '--hours', 'h') / 3600)
    .action(async (id: string, options: { hours: number }, command: Command) => extend(api(command), id, options.hours, output(command)));
  program
    .command('ssh')
    .description("ssh to one of a request's instances")
    .argument('<id>', "the request's id")
    .option('--index <n>', 'which instance, from 0', (v) => parseWholeNumber(v, '--index', 0), 0)
    .option('--user <user>', "the account to log in as (default: the image's usual one, e.g. ubuntu)")
    .option('--print', 'print the ssh command instead of running it')
    .action(async (id: string, options: { index: number; user?: string; print?: boolean }, command: Command) => {
      process.exitCode = await ssh(api(command), id, { index: options.index, user: options.user, print: options.print ?? false }, output(command));
    });

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
