import { Command, Option } from 'commander';
import { ApiClient } from './api-client.js';
import { UsageError } from './cli-error.js';
import { DEFAULT_URL, resolveConnection } from './connection.js';
import { colours, type Print } from './output.js';
import { bashCompletion, zshCompletion } from './completion.js';
import { cancel, extend, list, plan, show, ssh, submit, wait, watch, type OutputOptions, type SubmitFlags } from './request-commands.js';
import { addMember, audit, createProject, createToken, grantAllocation, listAllocations, listMembers, listTokens, removeMember, revokeAllocation, revokeToken, updateAllocation, type AllocationFlags } from './admin-commands.js';
import { createPool, deletePool, listPools, scalePool, showPool } from './pool-commands.js';
import { addWebhook, listNotifications, listWebhooks, parseKind, removeWebhook, setWebhookKinds, type WebhookScopeFlags } from './notification-commands.js';
import { listProjects } from './project-commands.js';
import { login, logout, whoami } from './session-commands.js';
import { parseGroupBy, usage, USAGE_GROUPINGS, type UsageFlags } from './usage-command.js';
import { parseDuration, parseMemorySize, parseTag, parseWholeNumber, type TagFlag } from './units.js';

const print: Print = (line) => console.log(line);

/*
 * The commands that need the database, the emulator or the descriptor reader load them when run:
 * every other command (and Slurm, which runs one per burst) starts without that weight.
 */
const sitesCommand = () => import('./sites-command.js');
const keysCommand = () => import('./keys-command.js');
const emulateCommand = () => import('./emulate-command.js');
const slurmCommands = () => import('./slurm/slurm-commands.js');

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
const collectTag = (value: string, previous: TagFlag[] = []) => [...previous, parseTag(value)];

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
    .option('--require <key=value>', 'a label the sites must have, e.g. gpu=a100 (repeatable)', collect)
    .option('--tag <key=value>', 'a tag of yours, copied onto the instances at the site, e.g. slurm:node=cloud3 (repeatable)', collectTag);
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
  tag?: TagFlag[];
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
  tags: o.tag,
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

const ROLES = ['RESEARCHER', 'PROJECT_MANAGER', 'SITE_ADMIN', 'FEDERATION_ADMIN'];
const role = (flag: string) => (value: string) => {
  if (!ROLES.includes(value.toUpperCase())) throw new UsageError(`${flag}: one of ${ROLES.join(', ')} (got ${JSON.stringify(value)})`);
  return value.toUpperCase();
};
const instant = (flag: string) => (value: string) => {
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(Date.parse(value))) throw new UsageError(`${flag}: expected a date or time such as 2027-01-31 or 2027-01-31T18:00:00Z, got ${JSON.stringify(value)}`);
  return new Date(value).toISOString();
};
const terminateAfterMinutes = (value: string) => Math.ceil(parseDuration(value, '--terminate-after', 's') / 60);
const hoursAmount = (flag: string) => (value: string) => {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`${flag}: expected a number of hours, got ${JSON.stringify(value)}`);
  return Number(value);
};

/** The flags `allocations grant` and `allocations update` share; a grant must give vCPUs and memory. */
function allocationShape(command: Command, grant: boolean): Command {
  const vcpus = new Option('--vcpus <n>', 'vCPUs at once').argParser((v) => parseWholeNumber(v, '--vcpus', 0));
  const memory = new Option('--memory <size>', 'memory at once: 65536 (MiB), 64GiB').argParser((v) => parseMemorySize(v, '--memory'));
  return command
    .addOption(grant ? vcpus.makeOptionMandatory() : vcpus)
    .addOption(grant ? memory.makeOptionMandatory() : memory)
    .option('--gpus <n>', 'GPUs at once', (v) => parseWholeNumber(v, '--gpus', 0))
    .option('--instances <n>', 'instances at once', (v) => parseWholeNumber(v, '--instances', 0))
    .option('--core-hours <h>', 'the budget of core-hours (unset: unlimited)', hoursAmount('--core-hours'))
    .option('--gpu-hours <h>', 'the budget of GPU-hours', hoursAmount('--gpu-hours'))
    .option('--starts <date>', 'when it starts counting', instant('--starts'))
    .option('--ends <date>', 'when it stops counting', instant('--ends'))
    .option('--terminate-after <duration>', 'when it ends, terminate what it no longer covers after this long (unset: leases finish)', terminateAfterMinutes);
}

interface AllocationOptions {
  vcpus?: number;
  memory?: number;
  gpus?: number;
  instances?: number;
  coreHours?: number;
  gpuHours?: number;
  starts?: string;
  ends?: string;
  terminateAfter?: number;
}

const allocationFlags = (o: AllocationOptions): AllocationFlags => ({
  vcpus: o.vcpus,
  memoryMiB: o.memory,
  gpus: o.gpus,
  instances: o.instances,
  coreHours: o.coreHours,
  gpuHours: o.gpuHours,
  startsAt: o.starts,
  endsAt: o.ends,
  terminateAfterMinutes: o.terminateAfter,
});

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
    .action(async (_options, command: Command) => login(command.optsWithGlobals<GlobalFlags>().url, process.env, output(command)));
  program
    .command('logout')
    .description('forget the profile written by `skypool login`')
    .action((_options, command: Command) => logout(process.env, output(command)));
  program
    .command('whoami')
    .description('who the broker takes your token for, with your roles and projects')
    .action(async (_options, command: Command) => whoami(api(command), output(command).json, print));

  const projects = program
    .command('projects')
    .description('the projects you may see: vCPUs and memory in use of their limits, the core-hours left')
    .action(async (_options, command: Command) => listProjects(api(command), output(command)));
  projects
    .command('create')
    .description('a new project at an institution (site and federation admins)')
    .requiredOption('--name <name>', "the project's name")
    .requiredOption('--institution <institution>', 'the institution it belongs to')
    .action(async (options: { name: string; institution: string }, command: Command) => createProject(api(command), options, output(command)));

  const allocations = program.command('allocations').description("projects' allocations: quotas and budgets (site and federation admins)");
  allocations
    .command('list')
    .description("a project's allocations")
    .requiredOption('--project <project>', RESOURCE_FLAGS.project)
    .action(async (options: { project: string }, command: Command) => listAllocations(api(command), options.project, output(command)));
  allocationShape(allocations.command('grant').description('grant a project an allocation').requiredOption('--project <project>', RESOURCE_FLAGS.project), true).action(
    async (options: AllocationOptions & { project: string }, command: Command) => grantAllocation(api(command), options.project, allocationFlags(options), output(command)),
  );
  allocationShape(allocations.command('update').description('change an allocation; what is left out stays').argument('<id>', "the allocation's id"), false).action(
    async (id: string, options: AllocationOptions, command: Command) => updateAllocation(api(command), id, allocationFlags(options), output(command)),
  );
  allocations
    .command('revoke')
    .description('stop an allocation counting now; running leases finish unless --terminate-after')
    .argument('<id>', "the allocation's id")
    .option('--terminate-after <duration>', 'terminate what other allocations do not cover after this long', terminateAfterMinutes)
    .action(async (id: string, options: { terminateAfter?: number }, command: Command) => revokeAllocation(api(command), id, options.terminateAfter, output(command)));

  const members = program.command('members').description("a project's members (project managers and admins)");
  members
    .command('list')
    .description("a project's members and their roles")
    .requiredOption('--project <project>', RESOURCE_FLAGS.project)
    .action(async (options: { project: string }, command: Command) => listMembers(api(command), options.project, output(command)));
  members
    .command('add')
    .description('give a user a role in a project')
    .requiredOption('--project <project>', RESOURCE_FLAGS.project)
    .option('--user <id>', "the user's id")
    .option('--email <email>', 'the verified email of a user who has logged in once')
    .requiredOption('--role <role>', 'RESEARCHER or PROJECT_MANAGER', role('--role'))
    .action(async (options: { project: string; user?: string; email?: string; role: string }, command: Command) => {
      if ((options.user === undefined) === (options.email === undefined)) throw new UsageError('members add: give --user or --email (one of them)');
      await addMember(api(command), options.project, { userId: options.user, email: options.email }, options.role, output(command));
    });
  members
    .command('remove')
    .description('take back the role given to a user in a project')
    .requiredOption('--project <project>', RESOURCE_FLAGS.project)
    .requiredOption('--user <id>', "the user's id")
    .action(async (options: { project: string; user: string }, command: Command) => removeMember(api(command), options.project, options.user, output(command)));

  const tokens = program.command('tokens').description('API tokens for batch jobs and scripts');
  tokens
    .command('list')
    .description('the tokens you made (federation admins: all), never their values')
    .action(async (_options, command: Command) => listTokens(api(command), output(command)));
  tokens
    .command('create')
    .description('a token for a batch job or a script, printed once')
    .requiredOption('--name <name>', 'what it is for')
    .requiredOption('--role <role>', 'RESEARCHER, PROJECT_MANAGER, SITE_ADMIN or FEDERATION_ADMIN', role('--role'))
    .option('--project <project>', 'the project it acts in (researchers and managers)')
    .option('--institution <institution>', 'the institution it acts for (site admins)')
    .option('--expires-in <days>', 'how many days it lasts: 30 or 30d', (v) => parseWholeNumber(v.replace(/d$/i, ''), '--expires-in'))
    .action(async (options: { name: string; role: string; project?: string; institution?: string; expiresIn?: number }, command: Command) =>
      createToken(api(command), { name: options.name, role: options.role, project: options.project, institution: options.institution, expiresInDays: options.expiresIn }, output(command)),
    );
  tokens
    .command('revoke')
    .description('end a token at once')
    .argument('<id>', "the token's id (see `skypool tokens list`)")
    .action(async (id: string, _options, command: Command) => revokeToken(api(command), id, output(command)));

  program
    .command('audit')
    .description('recent administrative changes, newest first (federation admins)')
    .option('--action <action>', 'only this action, e.g. allocation.grant')
    .option('--limit <n>', 'at most this many (up to 1000)', (v) => parseWholeNumber(v, '--limit'), 50)
    .action(async (options: { action?: string; limit: number }, command: Command) => audit(api(command), options, output(command)));

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
    .option('--tag <key=value>', 'only requests carrying this tag (repeatable: all of them)', collectTag)
    .action(async (options: { project?: string; state?: string[]; tag?: TagFlag[] }, command: Command) =>
      list(api(command), { project: options.project, states: options.state, tags: options.tag }, output(command)),
    );
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
    .action(async (options: { removed?: boolean }, command: Command) => (await sitesCommand()).listSites(api(command), { removed: options.removed ?? false, json: output(command).json }, print));
  sites
    .command('apply')
    .description('create or update the sites described in <dir>/*.yaml, all or none; a site that cannot be reached or refuses the credentials stops it')
    .argument('<dir>', 'a folder of site descriptors')
    .option('--dry-run', 'show what would change, change nothing')
    .option('--allow-unhealthy', 'apply sites that fail their probe anyway')
    .action(async (dir: string, options: { dryRun?: boolean; allowUnhealthy?: boolean }, command: Command) =>
      (await sitesCommand()).applySites(api(command), dir, { dryRun: options.dryRun ?? false, allowUnhealthy: options.allowUnhealthy ?? false, json: output(command).json }, print),
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
      .action(async (name: string, _options, command: Command) => (await sitesCommand()).changeSite(api(command), verb, name, output(command).json, print));
  }

  program
    .command('keys')
    .description('the key that seals stored site credentials')
    .command('rotate')
    .description('re-seal stored credentials under SKYPOOL_NEW_SECRET_KEY (or a new key), with the broker stopped')
    .action(async (_options, command: Command) => (await keysCommand()).rotateKeys(process.env, output(command).json, print));

  program
    .command('emulate')
    .description("serve the descriptor's site from the bundled EC2 emulator until stopped")
    .argument('<file.yaml>', 'a site descriptor')
    .addOption(new Option('--port <port>', 'the port to listen on').default(8788).argParser(portNumber))
    .option('--state <file>', 'keep the instances in this file across restarts')
    .action(async (file: string, options: { port: number; state?: string }, command: Command) => {
      const stop = await (await emulateCommand()).emulate(file, { port: options.port, stateFile: options.state, json: output(command).json }, print);
      await new Promise<void>((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, resolve)));
      await stop();
    });

  program
    .command('usage')
    .description('core-hours, GPU-hours and instance-hours charged in a period (this month so far unless told), or the CSV and APEL exports')
    .option('--from <date>', 'the start: 2026-11-01, 2026-11-01T12:00:00Z (default: the first of this month, UTC)', instant('--from'))
    .option('--to <date>', 'the end, not included (default: now)', instant('--to'))
    .option('--group-by <groups>', `rows per ${USAGE_GROUPINGS.join(', ')}, comma-separated; "" for one row of totals`, parseGroupBy, ['PROJECT'])
    .option('--project <project>', 'only this project (name or id)')
    .option('--csv <file>', 'write the CSV export to this file (- for stdout) instead')
    .option('--apel <folder>', 'write the APEL cloud records (APEL-cloud-message v0.4, 100 per message) to this folder instead, one file per message')
    .addHelpText('after', '\nExamples:\n  skypool usage --group-by project,month --from 2026-01-01\n  skypool usage --group-by site --csv usage.csv\n  skypool usage --from 2026-11-01 --to 2026-12-01 --apel outgoing/')
    .action(async (options: UsageFlags, command: Command) => usage(api(command), options, output(command)));

  const webhooks = program.command('webhooks').description("where a project's or an institution's notifications are POSTed (its managers, its site admins)");
  const scoped = (command: Command) => command.option('--project <project>', 'the project (name or id)').option('--institution <institution>', 'the institution (its sites and projects)');
  scoped(webhooks.command('list').description('the webhooks of a project or an institution')).action(async (options: WebhookScopeFlags, command: Command) => listWebhooks(api(command), options, output(command)));
  scoped(webhooks.command('add').description('register a webhook; its signing secret is printed once'))
    .requiredOption('--to <url>', 'where notifications are POSTed (http or https)')
    .option('--kind <kind>', 'a kind it is sent (repeatable; default: all), e.g. budget_80, request_failed, site_down', parseKind)
    .action(async (options: WebhookScopeFlags & { to: string; kind?: string[] }, command: Command) => addWebhook(api(command), options, output(command)));
  webhooks
    .command('kinds')
    .description('the kinds a webhook is sent; the others are turned off')
    .argument('<id>', "the webhook's id")
    .requiredOption('--kind <kind>', 'a kind (repeatable)', parseKind)
    .action(async (id: string, options: { kind: string[] }, command: Command) => setWebhookKinds(api(command), id, options.kind, output(command)));
  webhooks
    .command('remove')
    .description('no more deliveries to it')
    .argument('<id>', "the webhook's id")
    .action(async (id: string, _options, command: Command) => removeWebhook(api(command), id, output(command)));
  program
    .command('notifications')
    .description('recent notifications of your projects (and, as a site admin, your sites), newest first')
    .option('--limit <n>', 'at most this many (up to 500)', (v) => parseWholeNumber(v, '--limit'), 50)
    .action(async (options: { limit: number }, command: Command) => listNotifications(api(command), options.limit, output(command)));

  const pool = program.command('pool').description('worker pools: keep N workers of one shape running for a pilot system (HTCondor, GlideinWMS, DIRAC)');
  pool
    .command('create')
    .description('a pool the broker keeps at --size members: it replaces those that fail or vanish, wherever there is room')
    .requiredOption('--project <project>', RESOURCE_FLAGS.project)
    .requiredOption('--name <name>', "the pool's name, unique in the project")
    .requiredOption('--image <image>', RESOURCE_FLAGS.image)
    .requiredOption('--vcpus <n>', 'vCPUs per worker', (v) => parseWholeNumber(v, '--vcpus'))
    .requiredOption('--memory <size>', 'memory per worker: 2048 (MiB), 4GiB', (v) => parseMemorySize(v, '--memory'))
    .option('--gpus <n>', 'GPUs per worker', (v) => parseWholeNumber(v, '--gpus', 0))
    .requiredOption('--lease <duration>', "each worker's lease (a worker whose lease ends is replaced): 12h, 3d", (v) => parseDuration(v, '--lease', 'h'))
    .option('--min <n>', 'the smallest size it may be set to (default 0)', (v) => parseWholeNumber(v, '--min', 0))
    .requiredOption('--max <n>', 'the largest size it may be set to', (v) => parseWholeNumber(v, '--max'))
    .option('--size <n>', 'how many to keep running now (default --min)', (v) => parseWholeNumber(v, '--size', 0))
    .option('--user-data <file>', 'cloud-init that starts the worker')
    .action(async (o: { project: string; name: string; image: string; vcpus: number; memory: number; gpus?: number; lease: number; min?: number; max: number; size?: number; userData?: string }, command: Command) =>
      createPool(
        api(command),
        { project: o.project, name: o.name, image: o.image, vcpus: o.vcpus, memoryMiB: o.memory, gpus: o.gpus, leaseSeconds: o.lease, min: o.min, max: o.max, size: o.size, userDataFile: o.userData },
        output(command),
      ),
    );
  pool
    .command('scale')
    .description('keep this many running now; shrinking ends the newest first')
    .argument('<pool>', "the pool's name or id")
    .requiredOption('--size <n>', 'from the pool\'s --min to its --max', (v) => parseWholeNumber(v, '--size', 0))
    .action(async (name: string, o: { size: number }, command: Command) => scalePool(api(command), name, o.size, output(command)));
  pool
    .command('show')
    .description('its members, and why it is short when it is')
    .argument('<pool>', "the pool's name or id")
    .action(async (name: string, _o, command: Command) => showPool(api(command), name, output(command)));
  pool
    .command('list')
    .description('the pools you may see')
    .option('--project <project>', RESOURCE_FLAGS.project)
    .action(async (o: { project?: string }, command: Command) => listPools(api(command), o.project, output(command)));
  pool
    .command('delete')
    .description('delete the pool: its members end')
    .argument('<pool>', "the pool's name or id")
    .action(async (name: string, _o, command: Command) => deletePool(api(command), name, output(command)));

  const slurm = program
    .command('slurm')
    .description("Slurm elastic computing: the programs slurmctld calls to start and stop CLOUD nodes in the federation (the node-set file: --file or SKYPOOL_SLURM_FILE)");
  const nodeSetFileOption = () => new Option('--file <file>', 'the node-set file (else SKYPOOL_SLURM_FILE)');
  slurm
    .command('config')
    .description('print the slurm.conf lines for the node sets: the programs, ResumeTimeout, SuspendTime and a State=CLOUD node line per set')
    .addOption(nodeSetFileOption())
    .action(async (options: { file?: string }, command: Command) => {
      const commands = await slurmCommands();
      commands.printSlurmConfig(commands.nodeSetFile(options.file, process.env), output(command).json, print);
    });
  slurm
    .command('wrappers')
    .description("write the three programs slurm.conf names into the node-set file's programDir: each sets the environment (this one's SKYPOOL_URL, XDG_CONFIG_HOME, SLURM_CONF, PATH) and runs skypool slurm <verb>")
    .addOption(nodeSetFileOption())
    .option('--log <file>', 'where the programs log what they do (SKYPOOL_SLURM_LOG)', '/var/log/skypool-slurm.log')
    .action(async (options: { file?: string; log: string }, command: Command) => {
      const commands = await slurmCommands();
      commands.writeWrappers(commands.nodeSetFile(options.file, process.env), options.log, process.env, output(command).json, print);
    });
  const programs = {
    resume: 'ResumeProgram: start an instance for each node, wait until it runs, and give Slurm its address (or hand the node back with the reason)',
    suspend: "SuspendProgram: end the nodes' instances",
    'resume-fail': "ResumeFailProgram: end the instances of nodes that did not register in time",
  } as const;
  for (const [verb, description] of Object.entries(programs) as [keyof typeof programs, string][]) {
    slurm
      .command(verb)
      .description(description)
      .argument('<hostlist>', 'the nodes, in Slurm host-list syntax: cloud[1-3,5]')
      .addOption(nodeSetFileOption())
      .action(async (hostList: string, options: { file?: string }, command: Command) => {
        const commands = await slurmCommands();
        await commands.runSlurmProgram(api(command), commands.nodeSetFile(options.file, process.env), verb, hostList, process.env, output(command).json, print);
      });
  }
  slurm
    .command('sync')
    .description("make Skypool agree with Slurm (for cron): end instances of nodes Slurm has powered down, hand back nodes whose instance is gone, extend the leases of nodes in use")
    .addOption(nodeSetFileOption())
    .action(async (options: { file?: string }, command: Command) => {
      const commands = await slurmCommands();
      await commands.runSlurmProgram(api(command), commands.nodeSetFile(options.file, process.env), 'sync', undefined, process.env, output(command).json, print);
    });

  program
    .command('completion')
    .description('print a script that completes skypool commands and flags: source <(skypool completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`completion: bash or zsh, got ${JSON.stringify(shell)}`);
      process.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });

  return program;
}
