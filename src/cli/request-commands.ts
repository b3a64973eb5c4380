import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ApiError, inFlagTerms, withFlagNames, type ApiClient } from './api-client.js';
import { CliError, UsageError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';
import { FINAL_STATES, followRequest } from './follow-request.js';
import { paint, printJson, stateColour, table, type Print } from './output.js';
import type { TagFlag } from './units.js';

/** What `plan` and `submit` are given, already read from their flags. */
export interface RequestFlags {
  project: string;
  image: string;
  vcpus: number;
  memoryMiB: number;
  gpus?: number;
  count?: number;
  minCount?: number;
  leaseSeconds: number;
  sites?: string[];
  preferSites?: string[];
  requirements?: string[];
  tags?: TagFlag[];
}

export interface SubmitFlags extends RequestFlags {
  userDataFile?: string;
  sshKeyFile?: string;
  idempotencyKey?: string;
}

/** The flag that carries each field of SubmitRequestInput, so the broker's errors name what the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  projectId: '--project',
  image: '--image',
  vcpus: '--vcpus',
  memoryMiB: '--memory',
  gpus: '--gpus',
  count: '--count',
  minCount: '--min-count',
  leaseHours: '--lease',
  sites: '--site',
  preferredSites: '--prefer-site',
  requirements: '--require',
  userData: '--user-data',
  sshPublicKey: '--ssh-key',
  idempotencyKey: '--idempotency-key',
  tags: '--tag',
};

interface ProjectRow {
  id: string;
  name: string;
  institution: string;
}

/** `--project` takes a project's id or its name (among the projects the caller may see). */
export async function resolveProject(api: ApiClient, text: string): Promise<ProjectRow> {
  const { projects } = await api.request<{ projects: ProjectRow[] }>('{ projects { id name institution } }');
  const byId = projects.find((p) => p.id === text);
  if (byId) return byId;
  const named = projects.filter((p) => p.name === text);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw new CliError(`--project: ${text} names ${named.length} projects (at ${named.map((p) => p.institution).join(', ')}); give the id (see \`skypool projects\`)`);
  throw new CliError(`--project: no project ${JSON.stringify(text)} among those you may see (see \`skypool projects\`)`);
}

/** A file a flag names (--user-data, --ssh-key), or a usage error naming the flag. */
export function readFileFlag(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

async function requestInput(api: ApiClient, flags: SubmitFlags): Promise<Record<string, unknown>> {
  const project = await resolveProject(api, flags.project);
  return {
    projectId: project.id,
    image: flags.image,
    vcpus: flags.vcpus,
    memoryMiB: flags.memoryMiB,
    gpus: flags.gpus,
    count: flags.count,
    minCount: flags.minCount,
    leaseHours: flags.leaseSeconds / 3600,
    sites: flags.sites?.length ? flags.sites : undefined,
    preferredSites: flags.preferSites?.length ? flags.preferSites : undefined,
    requirements: flags.requirements?.length ? flags.requirements : undefined,
    tags: flags.tags?.length ? flags.tags : undefined,
    userData: flags.userDataFile === undefined ? undefined : readFileFlag(flags.userDataFile, '--user-data'),
    sshPublicKey: flags.sshKeyFile === undefined ? undefined : readFileFlag(flags.sshKeyFile, '--ssh-key').trim(),
    idempotencyKey: flags.idempotencyKey,
  };
}

export const REQUEST_FIELDS = `id state reason reasonCode createdAt leaseEndsAt leaseHours image vcpus memoryMiB gpus count minCount
  project { id name } tags { key value }
  instances { id state siteInstanceId privateIp publicIp instanceType site { name } }`;
const DETAIL_FIELDS = `${REQUEST_FIELDS}
  explain { site { name } verdict reason fits instanceType }
  events { at kind fromState toState reason site { name } }`;

export interface RequestView {
  id: string;
  state: string;
  reason: string | null;
  reasonCode: string | null;
  createdAt: string;
  leaseEndsAt: string | null;
  leaseHours: number;
  image: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  count: number;
  minCount: number;
  project: { id: string; name: string };
  tags: TagFlag[];
  instances: { id: string; state: string; siteInstanceId: string | null; privateIp: string | null; publicIp: string | null; instanceType: string; site: { name: string } }[];
}

interface DetailedView extends RequestView {
  explain: { site: { name: string }; verdict: string; reason: string; fits: number; instanceType: string | null }[];
  events: { at: string; kind: string; fromState: string | null; toState: string | null; reason: string | null; site: { name: string } | null }[];
}

export interface OutputOptions {
  json: boolean;
  colour: boolean;
  print: Print;
}

const size = (r: Pick<RequestView, 'count' | 'vcpus' | 'memoryMiB' | 'gpus'>) => `${r.count} x ${r.vcpus} vCPU, ${r.memoryMiB} MiB${r.gpus ? `, ${r.gpus} GPU` : ''}`;

/** `skypool plan ...`: what would happen to the request now, without submitting it. */
export async function plan(api: ApiClient, flags: RequestFlags, out: OutputOptions): Promise<void> {
  const input = await requestInput(api, flags);
  const { planRequest } = await withFlagNames(
    api.request<{ planRequest: { feasible: boolean; reason: string | null; reasonCode: string | null; bindingLimit: string | null; estimatedCoreHours: number; estimatedGpuHours: number; candidates: { site: { name: string }; instanceType: string; count: number; rank: number; borrowed: boolean }[]; explain: DetailedView['explain'] } }>(
      `query($input: SubmitRequestInput!) { planRequest(input: $input) { feasible reason reasonCode bindingLimit estimatedCoreHours estimatedGpuHours
        candidates { site { name } instanceType count rank borrowed } explain { site { name } verdict reason fits instanceType } } }`,
      { input },
    ),
    FLAG_OF_FIELD,
  );
  if (out.json) return printJson(planRequest, out.print);
  out.print(planRequest.feasible ? `feasible now: about ${planRequest.estimatedCoreHours} core-hours` : `not feasible now: ${planRequest.reason} (${planRequest.reasonCode})`);
  if (planRequest.candidates.length > 0) {
    out.print('');
    for (const line of table(['RANK', 'SITE', 'TYPE', 'COUNT', 'BORROWED'], planRequest.candidates.map((c) => [String(c.rank), c.site.name, c.instanceType, String(c.count), c.borrowed ? 'yes' : 'no']))) out.print(line);
  }
  printVerdicts(planRequest.explain, out);
}

function printVerdicts(explain: DetailedView['explain'], out: OutputOptions): void {
  if (explain.length === 0) return;
  out.print('');
  const rows = explain.map((v) => [v.site.name, v.verdict, v.fits ? String(v.fits) : '', v.reason]);
  for (const line of table(['SITE', 'VERDICT', 'FITS', 'WHY'], rows, (text, column) => (column === 1 ? paint(text, stateColour(text), out.colour) : text))) out.print(line);
}

/** A one-line account of a request's state, for progress and for `list`. */
export const stateLine = (r: Pick<RequestView, 'id' | 'state' | 'reason'>) => `${r.id} ${r.state}${r.reason ? `: ${r.reason}` : ''}`;

/**
 * Shows each state a request passes through on stderr: on a terminal a spinner on one line with a
 * line kept per state; elsewhere (a log, a batch job) one plain line per state.
 */
export function progressReporter(stream: NodeJS.WriteStream): { update(r: RequestView): void; done(): void } {
  const frames = ['|', '/', '-', '\\'];
  let shown = '';
  let frame = 0;
  let current = '';
  const spinner = stream.isTTY ? setInterval(() => stream.write(`\r${frames[frame++ % frames.length]} ${current}\u001b[K`), 120) : undefined;
  spinner?.unref();
  return {
    update(r) {
      const line = stateLine(r);
      if (line === shown) return;
      shown = line;
      current = line;
      stream.write(stream.isTTY ? `\r\u001b[K${new Date().toISOString().slice(11, 19)} ${line}\n` : `${new Date().toISOString()} ${line}\n`);
    },
    done() {
      if (spinner) {
        clearInterval(spinner);
        stream.write('\r\u001b[K');
      }
    },
  };
}

/**
 * Waits until the request is in `target` (a final state counts as reached only when it is the
 * target; another final state is exit status 1). Progress goes to stderr unless `quiet`.
 */
export async function waitFor(api: ApiClient, id: string, target: string, timeoutSeconds: number | undefined, quiet: boolean): Promise<RequestView> {
  const progress = quiet ? undefined : progressReporter(process.stderr);
  try {
    return await followRequest<RequestView>(
      api,
      id,
      REQUEST_FIELDS,
      (request) => {
        progress?.update(request);
        if (request.state === target) return true;
        if (FINAL_STATES.includes(request.state)) throw new CliError(`request ${id} ended ${request.state}${request.reason ? `: ${request.reason}` : ''}`);
        return false;
      },
      timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
    );
  } finally {
    progress?.done();
  }
}

/** `skypool submit ...`: the new request's id (or, with --json, the request); with `wait`, once it runs. */
export async function submit(api: ApiClient, flags: SubmitFlags, options: { wait: boolean; timeoutSeconds?: number; quiet: boolean }, out: OutputOptions): Promise<void> {
  const input = await requestInput(api, flags);
  const { submitRequest } = await withFlagNames(
    api.request<{ submitRequest: (RequestView & { __typename: 'ResourceRequest' }) | { __typename: string; code: string; message: string; field?: string | null } }>(
      `mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { __typename ... on ResourceRequest { ${REQUEST_FIELDS} } ... on UserError { code message } ... on InvalidRequestError { field } } }`,
      { input },
    ),
    FLAG_OF_FIELD,
  );
  if (submitRequest.__typename !== 'ResourceRequest') {
    const refusal = submitRequest as { code: string; message: string; field?: string | null };
    throw new CliError(`refused (${refusal.code}): ${inFlagTerms(refusal.message, refusal.field, FLAG_OF_FIELD)}`);
  }
  let request = submitRequest as RequestView;
  if (!options.wait) {
    if (out.json) return printJson(request, out.print);
    return out.print(`${request.id} ${request.state}${request.reason ? `: ${request.reason}` : ''}`);
  }
  if (!options.quiet) process.stderr.write(`submitted ${request.id}\n`);
  request = await waitFor(api, request.id, 'RUNNING', options.timeoutSeconds, options.quiet);
  if (out.json) return printJson(request, out.print);
  printInstances(request, out);
}

function printInstances(request: RequestView, out: OutputOptions): void {
  out.print(`${request.id} ${paint(request.state, stateColour(request.state), out.colour)}${request.leaseEndsAt ? `, lease ends ${request.leaseEndsAt}` : ''}`);
  if (request.instances.length === 0) return;
  const rows = request.instances.map((i, index) => [String(index), i.site.name, i.state, i.instanceType, i.publicIp ?? i.privateIp ?? '', i.siteInstanceId ?? '']);
  for (const line of table(['INDEX', 'SITE', 'STATE', 'TYPE', 'ADDRESS', 'SITE ID'], rows, (text, column) => (column === 2 ? paint(text, stateColour(text), out.colour) : text))) out.print(line);
}

/** `skypool list [--project P] [--state S]... [--tag K=V]...`: newest first. */
export async function list(api: ApiClient, filters: { project?: string; states?: string[]; tags?: TagFlag[] }, out: OutputOptions): Promise<void> {
  const projectId = filters.project === undefined ? undefined : (await resolveProject(api, filters.project)).id;
  const states = filters.states?.map((s) => s.toUpperCase());
  const { resourceRequests } = await withFlagNames(
    api.request<{ resourceRequests: RequestView[] }>(`query($p: ID, $s: [RequestState!], $t: [TagInput!]) { resourceRequests(projectId: $p, states: $s, tags: $t, first: 1000) { ${REQUEST_FIELDS} } }`, {
      p: projectId,
      s: states,
      t: filters.tags,
    }),
    FLAG_OF_FIELD,
  ).catch((err: unknown) => {
    if (err instanceof ApiError && /RequestState/.test(err.message)) throw new UsageError(`--state: one of QUEUED, PENDING, PROVISIONING, RUNNING, TERMINATING, TERMINATED, FAILED, CANCELLED, EXPIRED (got ${filters.states!.join(', ')})`);
    throw err;
  });
  if (out.json) return printJson(resourceRequests, out.print);
  if (resourceRequests.length === 0) return out.print('no requests');
  const rows = resourceRequests.map((r) => [r.id, r.project.name, r.state, size(r), r.createdAt.slice(0, 16).replace('T', ' '), r.reason ?? '']);
  for (const line of table(['ID', 'PROJECT', 'STATE', 'SIZE', 'CREATED', 'REASON'], rows, (text, column) => (column === 2 ? paint(text, stateColour(text), out.colour) : text))) out.print(line);
}

async function getRequest<T>(api: ApiClient, id: string, fields: string): Promise<T> {
  const { resourceRequest } = await api.request<{ resourceRequest: T | null }>(`query($id: ID!) { resourceRequest(id: $id) { ${fields} } }`, { id });
  if (!resourceRequest) throw new CliError(`no request ${id} that you may see (see \`skypool list\`)`);
  return resourceRequest;
}

/** `skypool show ID`: the request, why it waits (each site's verdict) and its history. */
export async function show(api: ApiClient, id: string, out: OutputOptions): Promise<void> {
  const request = await getRequest<DetailedView>(api, id, DETAIL_FIELDS);
  if (out.json) return printJson(request, out.print);
  out.print(`${request.id}  ${paint(request.state, stateColour(request.state), out.colour)}${request.reason ? `: ${request.reason}` : ''}`);
  out.print(`project ${request.project.name}; ${size(request)}${request.minCount !== request.count ? ` (at least ${request.minCount})` : ''}; image ${request.image}; lease ${request.leaseHours} h${request.leaseEndsAt ? `, ends ${request.leaseEndsAt}` : ''}`);
  if (request.tags.length > 0) out.print(`tags: ${request.tags.map((tag) => `${tag.key}=${tag.value}`).join(', ')}`);
  if (request.instances.length > 0) {
    out.print('');
    printInstances(request, { ...out, print: (line) => (line.startsWith(request.id) ? undefined : out.print(line)) });
  }
  if (request.explain.length > 0) {
    out.print('');
    out.print('why it waits, site by site:');
    printVerdicts(request.explain, out);
  }
  out.print('');
  out.print('history:');
  for (const e of request.events) {
    const change = e.fromState || e.toState ? `${e.fromState ?? '-'} -> ${e.toState ?? '-'}` : e.kind;
    out.print(`  ${e.at.replace('T', ' ').slice(0, 19)}  ${e.kind === 'INSTANCE_STATE' ? 'instance ' : ''}${change}${e.site ? ` at ${e.site.name}` : ''}${e.reason ? `: ${e.reason}` : ''}`);
  }
}

/** `skypool wait ID [--for STATE] [--timeout D]`. */
export async function wait(api: ApiClient, id: string, options: { target: string; timeoutSeconds?: number; quiet: boolean }, out: OutputOptions): Promise<void> {
  const request = await waitFor(api, id, options.target.toUpperCase(), options.timeoutSeconds, options.quiet);
  if (out.json) return printJson(request, out.print);
  out.print(stateLine(request));
}

/** `skypool watch ID`: each change on stdout until a final state. */
export async function watch(api: ApiClient, id: string, out: OutputOptions): Promise<void> {
  let shown = '';
  await followRequest<RequestView>(
    api,
    id,
    REQUEST_FIELDS,
    (request) => {
      const line = out.json ? JSON.stringify(request) : `${new Date().toISOString()} ${stateLine(request)}`;
      if (line !== shown) out.print(line);
      shown = line;
      return FINAL_STATES.includes(request.state);
    },
    undefined,
  );
}

/** `skypool cancel ID`. */
export async function cancel(api: ApiClient, id: string, out: OutputOptions): Promise<void> {
  const { cancelRequest } = await api.request<{ cancelRequest: RequestView }>(`mutation($id: ID!) { cancelRequest(id: $id) { ${REQUEST_FIELDS} } }`, { id });
  if (out.json) return printJson(cancelRequest, out.print);
  out.print(`${id} cancelled: ${cancelRequest.state}`);
}

/** `skypool extend ID --hours H`. */
export async function extend(api: ApiClient, id: string, hours: number, out: OutputOptions): Promise<void> {
  const { extendLease } = await api
    .request<{ extendLease: RequestView }>(`mutation($id: ID!, $h: Float!) { extendLease(id: $id, hours: $h) { ${REQUEST_FIELDS} } }`, { id, h: hours })
    .catch((err: unknown) => Promise.reject(err instanceof ApiError ? new ApiError(err.message.replace(/^hours\b/, '--hours'), err.code, err.field) : err));
  if (out.json) return printJson(extendLease, out.print);
  out.print(`${id} lease ends ${extendLease.leaseEndsAt}`);
}

/** The account cloud images of common distributions log in as. */
function defaultUser(image: string): string | undefined {
  const distribution = /^(ubuntu|debian|rocky|almalinux|alma|centos|fedora)/i.exec(image)?.[1]?.toLowerCase();
  return distribution === 'alma' ? 'almalinux' : distribution;
}

/** `skypool ssh ID [--index N] [--print]`: runs ssh to the instance (or prints the command). */
export async function ssh(api: ApiClient, id: string, options: { index: number; print: boolean; user?: string }, out: OutputOptions): Promise<number> {
  const request = await getRequest<RequestView>(api, id, REQUEST_FIELDS);
  const instance = request.instances[options.index];
  if (!instance) throw new CliError(`request ${id} has ${request.instances.length} instance(s); --index goes from 0 to ${request.instances.length - 1}`);
  const address = instance.publicIp ?? instance.privateIp;
  if (!address) throw new CliError(`instance ${options.index} of request ${id} has no address yet (it is ${instance.state}); try \`skypool wait ${id}\``);
  const user = options.user ?? defaultUser(request.image);
  const args = ['-o', 'StrictHostKeyChecking=accept-new', user ? `${user}@${address}` : address];
  if (options.print) {
    out.print(['ssh', ...args].join(' '));
    return ExitCode.OK;
  }
  const child = spawn('ssh', args, { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new CliError(`cannot run ssh (${err.message}); \`skypool ssh ${id} --print\` shows the command`)));
    child.once('exit', (code) => resolve(code ?? ExitCode.REFUSED));
  });
}
