import { readFileSync } from 'node:fs';
import { compressHostList, expandHostList } from './hostlist.js';
import { isActive, nodeOf, type NodeRequest, type NodeRequestsApi } from './node-requests.js';
import { nodeSetOf, type NodeSetFile } from './node-sets.js';
import type { Scontrol } from './scontrol.js';
import type { SlurmLog } from './slurm-log.js';

/** What the programs Slurm calls work with: the node sets, the broker, Slurm itself and the log. */
export interface SlurmContext {
  file: NodeSetFile;
  requests: NodeRequestsApi;
  scontrol: Scontrol;
  log: SlurmLog;
}

/** How many nodes each outcome had, for the exit status and the last log line. */
export interface Outcome {
  done: string[];
  failed: string[];
}

async function eachNode(hostList: string, work: (node: string) => Promise<boolean>): Promise<Outcome> {
  const nodes = expandHostList(hostList);
  const results = await Promise.all(nodes.map(async (node) => ({ node, ok: await work(node) })));
  return { done: results.filter((r) => r.ok).map((r) => r.node), failed: results.filter((r) => !r.ok).map((r) => r.node) };
}

/**
 * `skypool slurm resume <hostlist>` (ResumeProgram): one request per node, waited on until it
 * runs, then the node's address given to Slurm. A node that cannot be had by the node set's
 * deadline is handed back (power_down_force, with the reason), so Slurm requeues its jobs on
 * other nodes instead of looping on a DOWN node.
 */
export async function resume(context: SlurmContext, hostList: string, resumeFile: string | undefined): Promise<Outcome> {
  const jobs = jobsOfResumeFile(resumeFile, context.log);
  const outcome = await eachNode(hostList, (node) => resumeNode(context, node, jobs.get(node) ?? []));
  context.log.line(null, `resume ${hostList}: ${summary(outcome, 'running')}`);
  return outcome;
}

async function resumeNode(context: SlurmContext, node: string, jobs: string[]): Promise<boolean> {
  const { file, requests, log } = context;
  const set = nodeSetOf(file, node);
  if (!set) return handBack(context, node, null, `${node} is in no node set of ${file.file}`);
  let request: NodeRequest | undefined;
  try {
    const earlier = await requests.list(node);
    request = earlier.find(isActive);
    if (request) log.line(node, `already coming up as request ${request.id} (${request.state}); starting nothing new`);
    else {
      const submitted = await requests.submit(node, set, earlier.length);
      if (!('id' in submitted)) return await handBack(context, node, null, `the broker refused the request (${submitted.code}): ${submitted.message}`);
      request = submitted;
      log.line(node, `request ${request.id} submitted (${request.state}${request.reason ? `: ${request.reason}` : ''})`);
      await requests.note(request.id, `slurm node ${node} of cluster ${file.cluster}: powering up${jobs.length ? ` for job ${jobs.join(', ')}` : ''}`);
    }
    const { request: settled, timedOut } = await requests.settle(request.id, set.placementDeadlineSeconds);
    if (settled.state !== 'RUNNING') {
      const why = timedOut ? `not running after ${set.placementDeadlineSeconds} s (${settled.state}${settled.reason ? `: ${settled.reason}` : ''})` : `request ${settled.state}${settled.reason ? `: ${settled.reason}` : ''}`;
      if (timedOut) await requests.cancel(settled.id);
      return await handBack(context, node, settled, why);
    }
    // the running one: instances that failed at another site on the way stay in the list
    const instance = settled.instances.find((i) => i.state === 'RUNNING');
    const address = instance?.privateIp ?? instance?.publicIp;
    if (!instance || !address) return await handBack(context, node, settled, 'its instance runs without an address');
    await context.scontrol.update(node, { nodeaddr: address, nodehostname: node });
    log.line(node, `running at ${instance.site.name}, NodeAddr=${address}`);
    await requests.note(settled.id, `slurm node ${node}: running at ${instance.site.name}, Slurm's NodeAddr set to ${address}`);
    return true;
  } catch (err) {
    // nothing may stay running for a node Slurm is told is down
    if (request) await requests.cancel(request.id).catch(() => undefined);
    return handBack(context, node, request ?? null, (err as Error).message);
  }
}

/** Gives the node back to Slurm as powered down, with the reason in words: its jobs go elsewhere, and a later resume may try again. */
async function handBack(context: SlurmContext, node: string, request: NodeRequest | null, why: string): Promise<false> {
  context.log.line(node, `handed back to Slurm: ${why}`);
  try {
    await context.scontrol.update(node, { state: 'power_down_force', reason: `skypool: ${why}` }); // one argument: no shell, no quotes
  } catch (err) {
    context.log.line(node, (err as Error).message);
  }
  if (request) await context.requests.note(request.id, `slurm node ${node} handed back to Slurm (power_down_force): ${why}`).catch(() => undefined);
  return false;
}

/** `skypool slurm suspend <hostlist>` (SuspendProgram): Slurm powered the nodes down, so their instances end. */
export function suspend(context: SlurmContext, hostList: string): Promise<Outcome> {
  return endNodes(context, hostList, 'suspend', 'Slurm powered the node down');
}

/** `skypool slurm resume-fail <hostlist>` (ResumeFailProgram): the nodes did not register in time, so their instances end. */
export function resumeFail(context: SlurmContext, hostList: string): Promise<Outcome> {
  return endNodes(context, hostList, 'resume-fail', `the node did not register with Slurm within ResumeTimeout (${context.file.resumeTimeoutSeconds} s)`);
}

async function endNodes(context: SlurmContext, hostList: string, program: string, why: string): Promise<Outcome> {
  const outcome = await eachNode(hostList, async (node) => {
    try {
      const active = (await context.requests.list(node)).filter(isActive);
      if (active.length === 0) context.log.line(node, `${program}: no request running for it`);
      for (const request of active) {
        const ended = await context.requests.cancel(request.id);
        context.log.line(node, `${program}: request ${request.id} ended (${ended.state}): ${why}`);
        await context.requests.note(request.id, `slurm node ${node}, ${program}: ${why}`);
      }
      return true;
    } catch (err) {
      context.log.line(node, `${program} failed: ${(err as Error).message}`);
      return false;
    }
  });
  context.log.line(null, `${program} ${hostList}: ${summary(outcome, 'ended')}`);
  return outcome;
}

/** Slurm's node states that mean no instance should be running for the node. */
const POWERED_DOWN = /\b(POWERED_DOWN|POWERING_DOWN)\b/;
const POWERING_UP = /\bPOWERING_UP\b/;
const IN_USE = /^(ALLOCATED|MIXED|COMPLETING)\b/;

/**
 * `skypool slurm sync`, for cron: makes Skypool agree with Slurm. An instance whose node Slurm has
 * powered down or forgotten is ended (a leak); a node Slurm has up whose instance is gone is handed
 * back, so its jobs are requeued rather than lost; a node in use whose lease ends soon has its
 * lease extended (within the project's budget, which the broker enforces).
 */
export async function sync(context: SlurmContext): Promise<Outcome> {
  const { file, requests, log } = context;
  const slurmNodes = new Map((await context.scontrol.nodes()).map((n) => [n.name, n]));
  const active = (await requests.list()).filter(isActive);
  const activeOf = new Map(active.map((r) => [nodeOf(r), r]));
  const outcome: Outcome = { done: [], failed: [] };
  const record = (node: string, ok: boolean) => (ok ? outcome.done : outcome.failed).push(node);

  for (const request of active) {
    const node = nodeOf(request) ?? '?';
    const slurm = slurmNodes.get(node);
    if (slurm && !POWERED_DOWN.test(slurm.state)) continue;
    const why = slurm ? `Slurm has the node ${slurm.state}` : 'Slurm does not know the node';
    await act(context, node, record, async () => {
      await requests.cancel(request.id);
      await requests.note(request.id, `slurm sync: ended a leaked instance: ${why}`);
      log.line(node, `sync: request ${request.id} ended: ${why}`);
    });
  }

  for (const set of file.nodeSets) {
    for (const node of set.nodes) {
      const slurm = slurmNodes.get(node);
      if (!slurm || POWERED_DOWN.test(slurm.state) || POWERING_UP.test(slurm.state)) continue;
      const request = activeOf.get(node);
      if (!request) {
        await act(context, node, record, () => handBack(context, node, null, 'its instance is gone (no running request)').then(() => undefined));
        continue;
      }
      if (request.state === 'RUNNING' && IN_USE.test(slurm.state) && endsWithin(request, set.leaseHours / 4)) {
        await act(context, node, record, async () => {
          const extended = await requests.extend(request.id, set.leaseHours);
          log.line(node, `sync: in use, lease of request ${request.id} extended to ${extended.leaseEndsAt}`);
          await requests.note(request.id, `slurm sync: node ${node} in use (${slurm.state}), lease extended to ${extended.leaseEndsAt}`);
        });
      }
    }
  }
  log.line(null, `sync of cluster ${file.cluster}: ${outcome.done.length} change(s)${outcome.failed.length ? `, ${outcome.failed.length} failed: ${compressHostList(outcome.failed)}` : ''}`);
  return outcome;
}

async function act(context: SlurmContext, node: string, record: (node: string, ok: boolean) => void, change: () => Promise<void>): Promise<void> {
  try {
    await change();
    record(node, true);
  } catch (err) {
    context.log.line(node, `sync failed: ${(err as Error).message}`);
    record(node, false);
  }
}

const endsWithin = (request: NodeRequest, hours: number) => request.leaseEndsAt !== null && Date.parse(request.leaseEndsAt) - Date.now() < hours * 3600_000;

function summary(outcome: Outcome, word: string): string {
  const parts = [`${outcome.done.length} ${word}${outcome.done.length ? ` (${compressHostList(outcome.done)})` : ''}`];
  if (outcome.failed.length) parts.push(`${outcome.failed.length} failed (${compressHostList(outcome.failed)})`);
  return parts.join(', ');
}

/**
 * Slurm 22.05 and later name, in SLURM_RESUME_FILE, the jobs each node is resumed for (JSON:
 * `jobs: [{ job_id, nodes }]`; `nodes_resume` from 23.02): kept on the requests so people see why
 * a node started. The file is a descriptor of slurmctld's, readable only while the program runs.
 */
function jobsOfResumeFile(path: string | undefined, log: SlurmLog): Map<string, string[]> {
  const jobsOf = new Map<string, string[]>();
  if (!path) return jobsOf;
  try {
    const resumed = JSON.parse(readFileSync(path, 'utf8')) as { jobs?: { job_id?: number; nodes?: string; nodes_resume?: string }[] };
    for (const job of resumed.jobs ?? []) {
      const nodes = job.nodes_resume ?? job.nodes;
      if (!nodes) continue;
      for (const node of expandHostList(nodes)) jobsOf.set(node, [...(jobsOf.get(node) ?? []), String(job.job_id)]);
    }
  } catch (err) {
    log.line(null, `cannot read SLURM_RESUME_FILE ${path}: ${(err as Error).message}`);
  }
  return jobsOf;
}

