import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controllerLines, ensureMunged, freePorts, MUNGED, waitFor } from './local-slurm.mjs';

/**
 * A real slurmctld (Debian 12's Slurm 22.05) for tests of Skypool's Slurm programs
 * (`skypool slurm resume|suspend|resume-fail`), and a slurmd per node to stand in for a booted VM.
 *
 * Each start has everything of its own: a temporary folder (slurm.conf, state, spool, logs, pid
 * files), free ports and a cluster name, so suites running at once never share a controller.
 * munged is shared: started when not running, and left running.
 *
 * What this Slurm does, each seen in a run on this machine (test/slurmctld-harness.test.ts checks
 * the ones marked *):
 * - Powered-down CLOUD nodes are hidden from `scontrol show nodes` and sinfo, even for root, unless
 *   PrivateData=cloud: it is set here. They show as IDLE+CLOUD+POWERED_DOWN (sinfo: idle~).
 * - scontrol 22.05 has no --json: nodes() and job() parse `--oneliner`.
 * - * `sbatch -N2` on IDLE+CLOUD+POWERED_DOWN cloud[1-2] runs ResumeProgram once with the one
 *   argument `cloud[1-2]`, 1 to 2 s after the submission (state changes wake the power-save thread;
 *   ResumeRate=0 means no batching limit). The job is CONFIGURING, the nodes
 *   MIXED+CLOUD+NOT_RESPONDING+POWERING_UP.
 * - * The programs run as SlurmUser (root here), in slurmctld's working directory (this start's
 *   folder), with an environment of exactly PWD and SLURM_CONF (the controller's slurm.conf), plus,
 *   for ResumeProgram only, SLURM_RESUME_FILE: a /proc/<pid>/fd/<n> path to JSON
 *   `{"jobs":[{"job_id":1,"nodes":"cloud[1-2]"}],"all_nodes":"cloud[1-2]"}`. No PATH and no HOME:
 *   a program must name the commands it runs by absolute path (/usr/bin/scontrol), and a
 *   `#!/usr/bin/env node` script only finds node in the default /bin:/usr/bin.
 * - Their stdout and stderr are thrown away; a non-zero exit is only logged ("power_save: program
 *   exit status of 3") and changes nothing. A ResumeProgram is not killed at ResumeTimeout: one that
 *   slept 25 s with ResumeTimeout=15 ran to its end, while ResumeFailProgram was called meanwhile.
 * - * `scontrol update nodename=cloud1 nodeaddr=127.0.0.5 nodehostname=cloud1` works on a CLOUD
 *   node in any state, with no SlurmctldParameters (cloud_dns is for nodes that are in DNS, which
 *   ours are not): NodeAddr=127.0.0.5 NodeHostName=cloud1 at once, the state unchanged. One
 *   nodeaddr for several nodes (nodename=cloud[1-2] nodeaddr=127.0.0.1) is refused with "Invalid
 *   node name specified": give one address per node. The address stays after a power down (it would
 *   be reset to the node name only with cloud_reg_addrs).
 * - Until then NodeAddr is the node name, and slurmctld looks it up (DNS, off this machine) whenever
 *   it messages the node, e.g. to kill a job on it at ResumeTimeout ("Unable to resolve cloud2"):
 *   a test's ResumeProgram should set a 127.0.0.x address for each node, as `skypool slurm resume`
 *   sets the instance's.
 * - * With no slurmd coming up: at ResumeTimeout (checked each power_save_interval) slurmctld runs
 *   ResumeFailProgram with `cloud[1-2]` (same environment, without SLURM_RESUME_FILE), the nodes
 *   go DOWN+CLOUD+POWERED_DOWN+NOT_RESPONDING with Reason "ResumeTimeout reached", and the job is
 *   requeued: PENDING, Restarts=1, Reason BeginTime for 120 s, then "Nodes required for job are
 *   DOWN, DRAINED or reserved...". SuspendProgram is not called. The nodes stay DOWN (with or
 *   without idle_on_node_suspend) until `state=resume` (-> IDLE+CLOUD+POWERED_DOWN, resumable) or,
 *   with idle_on_node_suspend, `state=power_down_force`.
 * - * `scontrol update nodename=cloud1 state=power_down_force reason="skypool: ..."` runs
 *   SuspendProgram with `cloud1` at once (a job on the node is killed and requeued), the node is
 *   IDLE+CLOUD+POWERING_DOWN for SuspendTimeout, then IDLE+CLOUD+POWERED_DOWN, Reason kept, and
 *   can be resumed again (a job needing it runs ResumeProgram again). Without idle_on_node_suspend
 *   a DOWN node stays DOWN (DOWN+CLOUD+POWERING_DOWN, then DOWN+CLOUD+POWERED_DOWN); that is why
 *   it is on by default here.
 * - * `state=power_up` runs ResumeProgram with that node (-> ...+NOT_RESPONDING+POWERING_UP), even
 *   on a DOWN node (which stays DOWN until its slurmd registers); ResumeTimeout applies as for a job.
 * - * A slurmd per node works on this one machine: `slurmd -D -b -N cloud1 -f <conf>` with a port
 *   of its own (Port= on the NodeName line: Port=17001-17002 or Port=40000,30000 on cloud[1-2]
 *   gives one each, in order; this helper adds such a list) and %n in SlurmdSpoolDir, SlurmdPidFile
 *   and SlurmdLogFile. With one SlurmdPort for all, the second slurmd fails with "Unable to bind
 *   listen port (...): Address already in use"; CommunicationParameters=NoInAddrAny does not help,
 *   as every slurmd then binds 127.0.0.1 (this machine's name), whatever NodeAddr. `-b` (report a
 *   reboot now) is needed: without it, slurmctld logs "Still waiting for boot of node cloud2" and
 *   the node is marked down at ResumeTimeout although its slurmd registered. slurmd listens on
 *   every address, so any 127.0.0.x NodeAddr reaches it. The job turns RUNNING at slurmctld's next 30 s check
 *   ("job_time_limit: Configuration for JobId=1 complete"), so allow up to about 40 s after the
 *   nodes register. After it ends the nodes are IDLE+CLOUD; after SuspendTime idle, SuspendProgram
 *   gets `cloud[1-2]` and they go POWERING_DOWN, then IDLE+CLOUD+POWERED_DOWN.
 * - `scontrol show hostnames 'cloud[1-3,5],gpu[01-02]'` prints one name a line: cloud1 cloud2
 *   cloud3 cloud5 gpu01 gpu02 (zero padding kept; `cloud[01-3]` gives cloud01 cloud02 cloud03;
 *   `a[1-2]b[3-4]` gives a1b3 a1b4 a2b3 a2b4; duplicates kept). `scontrol show hostlist
 *   cloud1,cloud2,cloud3` prints `cloud[1-3]`; it keeps the given order
 *   (`cloud1,cloud3,cloud2,gpu01,gpu02,cloud10` gives `cloud[1,3,2],gpu[01-02],cloud10`), while
 *   `show hostlistsorted` sorts.
 */

export interface SlurmctldOptions {
  /** NodeName and PartitionName lines, e.g. from `skypool slurm config`. A partition of all nodes is added if none is given. */
  nodeLines: string[];
  /** Executables; a missing one is /bin/true, so power saving is always fully configured. */
  resumeProgram?: string;
  suspendProgram?: string;
  resumeFailProgram?: string;
  /** Seconds from ResumeProgram to ResumeFailProgram if the nodes have not registered (default 60). */
  resumeTimeout?: number;
  /** Seconds idle before SuspendProgram (default 600: longer than a test, so nodes stay up unless a test asks). */
  suspendTime?: number;
  /** Seconds a node stays POWERING_DOWN after SuspendProgram (default 10). */
  suspendTimeout?: number;
  /** Seconds between the power-save thread's checks of ResumeTimeout and SuspendTime (Slurm's default is 10). */
  powerSaveInterval?: number;
  /** SlurmctldParameters besides power_save_interval (default idle_on_node_suspend, see above). */
  slurmctldParameters?: string[];
  /** Any further slurm.conf lines (SuspendExcNodes=..., DebugFlags=...). */
  extraLines?: string[];
}

export interface SlurmNode {
  name: string;
  /** Every state flag, e.g. IDLE+CLOUD+POWERED_DOWN. */
  state: string;
  addr: string;
  hostname: string;
  /** The reason without Slurm's " [user@time]" suffix; '' when none. */
  reason: string;
}

export interface SlurmJob {
  id: string;
  state: string;
  /** As scontrol prints it: words joined by underscores (Nodes_required_for_job_are_DOWN,...). */
  reason: string;
  /** A host list such as cloud[1-2]; '' while the job has none. */
  nodes: string;
  /** How often the job was requeued. */
  restarts: number;
}

export interface Slurmd {
  node: string;
  stop(): Promise<void>;
}

export interface SlurmctldHandle {
  /** This start's folder: slurm.conf, state, logs; slurmctld's (and so its programs') working directory. */
  dir: string;
  /** Path of its slurm.conf. */
  conf: string;
  /** What a Slurm command needs to reach this controller: SLURM_CONF. Merge it into an environment. */
  env: Record<string, string>;
  clusterName: string;
  scontrol(args: string[]): Promise<string>;
  /** Runs sbatch (in `dir`, so output files land there) and returns the job id. */
  sbatch(args: string[]): Promise<string>;
  nodes(): Promise<SlurmNode[]>;
  node(name: string): Promise<SlurmNode>;
  job(id: string): Promise<SlurmJob>;
  /** A slurmd for one node, standing in for its VM after boot; stopped by stop() too. */
  startSlurmd(node: string): Promise<Slurmd>;
  /** The controller's log so far, for failure messages. */
  log(): string;
  /** Cancels the jobs, stops the slurmds and slurmctld, removes the folder. */
  stop(): Promise<void>;
}

/** Where Debian puts the daemons; root's PATH has /usr/sbin, a user's often not. */
export const SLURMCTLD = '/usr/sbin/slurmctld';
const SLURMD = '/usr/sbin/slurmd';
const SCONTROL = '/usr/bin/scontrol';

export function slurmInstalled(): boolean {
  return existsSync(SLURMCTLD) && existsSync(SLURMD) && existsSync(SCONTROL) && existsSync(MUNGED);
}

// An environment free of the caller's SLURM_* (a CI job inside a Slurm job would leak its own).
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('SLURM_')) env[key] = value;
  return { ...env, ...extra };
}

function run(file: string, args: string[], env: Record<string, string>, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: cleanEnv(env), cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * scontrol reads a slurm.conf even to expand a host list, and without one asks DNS for the
 * controller (an SRV lookup, off this machine): the host-list commands get this smallest one, a
 * file shared by every run (written whole, then renamed into place).
 */
function hostlistEnv(): Record<string, string> {
  const conf = join(tmpdir(), 'skypool-hostlist-slurm.conf');
  if (!existsSync(conf)) {
    const partial = `${conf}.${process.pid}`;
    writeFileSync(partial, 'ClusterName=hostlists\nSlurmctldHost=localhost\n');
    renameSync(partial, conf);
  }
  return { SLURM_CONF: conf };
}

/** `scontrol show hostnames`: Slurm's own expansion of a host list, to compare ours against. */
export async function slurmHostnames(hostlist: string): Promise<string[]> {
  return (await run(SCONTROL, ['show', 'hostnames', hostlist], hostlistEnv())).split('\n').filter((name) => name !== '');
}

/** `scontrol show hostlist`: Slurm's own compression of names (in the order given). */
export async function slurmHostlist(names: string[]): Promise<string> {
  return (await run(SCONTROL, ['show', 'hostlist', names.join(',')], hostlistEnv())).trim();
}

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/**
 * How many ports each line needs: a NodeName line gets one per node (unless it names a Port), so
 * that a slurmd for each node can listen on this one machine.
 */
async function nodePortCounts(lines: string[]): Promise<number[]> {
  return Promise.all(
    lines.map(async (line) => {
      const names = /^\s*NodeName=(\S+)/i.exec(line)?.[1];
      if (!names || /^default$/i.test(names) || /\sPort=/i.test(line)) return 0;
      return (await slurmHostnames(names)).length;
    }),
  );
}

let starts = 0;

export async function startSlurmctld(options: SlurmctldOptions, startTimeoutMs = 30_000): Promise<SlurmctldHandle> {
  if (!slurmInstalled()) throw new Error(`Slurm is not installed (${SLURMCTLD}, ${SLURMD}, ${SCONTROL}, ${MUNGED}): apt-get install slurmctld slurmd slurm-client munge`);
  if (process.getuid?.() !== 0) throw new Error('slurmctld runs here with SlurmUser=root and starts munged: run the tests as root');
  await ensureMunged();
  const portCounts = await nodePortCounts(options.nodeLines);
  // a port taken between choosing and binding (another suite) only costs a retry
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, portCounts, startTimeoutMs);
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/.test(String(error))) throw error;
    }
  }
}

async function startOnce(options: SlurmctldOptions, portCounts: number[], startTimeoutMs: number): Promise<SlurmctldHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'skypool-slurm-'));
  for (const sub of ['state', 'spool', 'log']) mkdirSync(join(dir, sub));
  const conf = join(dir, 'slurm.conf');
  const logFile = join(dir, 'log', 'slurmctld.log');
  const clusterName = `skypool${process.pid}x${++starts}`;
  // all from one call, so that no two are the same
  const [ctldPort, slurmdPort, ...nodePorts] = await freePorts(2 + portCounts.reduce((sum, count) => sum + count, 0));
  // a list rather than a range (a-b), which would need consecutive numbers; Slurm gives them out in order
  const nodeLines = options.nodeLines.map((line, i) => (portCounts[i] ? `${line} Port=${nodePorts.splice(0, portCounts[i]).join(',')}` : line));
  const hasPartition = nodeLines.some((line) => /^\s*PartitionName=/i.test(line));
  const lines = [
    ...controllerLines({ clusterName, dir, ctldPort: ctldPort!, slurmdPort: slurmdPort! }),
    'SlurmdUser=root',
    // %n: one spool, pid file and log per slurmd, as they all run on this machine
    `SlurmdSpoolDir=${join(dir, 'spool', '%n')}`,
    `SlurmdPidFile=${join(dir, 'slurmd-%n.pid')}`,
    `SlurmctldLogFile=${logFile}`,
    `SlurmdLogFile=${join(dir, 'log', 'slurmd-%n.log')}`,
    'SlurmctldDebug=debug',
    'SlurmdDebug=debug',
    // the power-save thread logs each program it runs, with its pid and exit status
    'DebugFlags=Power',
    // a node that registers with a valid configuration is back in service, however it went DOWN
    'ReturnToService=2',
    // cancelled jobs' tasks get SIGKILL after 5 s rather than 30, so stop() is quick
    'KillWait=5',
    // Slurm's advice for cloud nodes: no message forwarding through other nodes
    'TreeWidth=65533',
    // powered-down cloud nodes are otherwise hidden from scontrol and sinfo, even for root
    'PrivateData=cloud',
    `ResumeProgram=${options.resumeProgram ?? '/bin/true'}`,
    `SuspendProgram=${options.suspendProgram ?? '/bin/true'}`,
    `ResumeFailProgram=${options.resumeFailProgram ?? '/bin/true'}`,
    `ResumeTimeout=${options.resumeTimeout ?? 60}`,
    `SuspendTime=${options.suspendTime ?? 600}`,
    `SuspendTimeout=${options.suspendTimeout ?? 10}`,
    // no limit on how many nodes a minute are resumed or suspended
    'ResumeRate=0',
    'SuspendRate=0',
    `SlurmctldParameters=${[...(options.slurmctldParameters ?? ['idle_on_node_suspend']), `power_save_interval=${options.powerSaveInterval ?? 2}`].join(',')}`,
    ...(options.extraLines ?? []),
    ...nodeLines,
    ...(hasPartition ? [] : ['PartitionName=cloud Nodes=ALL Default=YES MaxTime=INFINITE State=UP']),
  ];
  writeFileSync(conf, lines.join('\n') + '\n');
  const env = { SLURM_CONF: conf };

  // its own process group, so stop() also ends slurmscriptd and the programs it is running
  const ctld = spawn(SLURMCTLD, ['-D', '-f', conf], { cwd: dir, env: cleanEnv({}), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  ctld.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : stderr);
  const slurmds: ChildProcess[] = [];
  let stopped = false;
  let answered = false;

  const scontrol = (args: string[]) => run(SCONTROL, args, env, dir);
  const nodes = async () => parseNodes(await scontrol(['show', 'nodes', '--oneliner']));
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // jobs on slurmds are cancelled first: slurmd leaves a job's slurmstepd running when it stops
    if (answered && slurmds.some(isRunning) && isRunning(ctld)) {
      const squeue = () => run('/usr/bin/squeue', ['--noheader', '--format=%i'], env).then((out) => out.split('\n').filter((id) => id !== ''), () => []);
      const jobs = await squeue();
      if (jobs.length > 0) {
        await run('/usr/bin/scancel', jobs, env).catch(() => '');
        await waitFor(async () => ((await squeue()).length === 0 ? true : undefined), 15_000, () => 'jobs still there').catch(() => undefined);
      }
    }
    await Promise.all([...slurmds, ctld].map((child) => endGroup(child)));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      async () => {
        if (!isRunning(ctld)) throw new Error(`slurmctld exited with ${ctld.exitCode ?? ctld.signalCode}:\n${stderr}`);
        const ping = await scontrol(['ping']).catch(() => '');
        return /is UP/.test(ping) ? true : undefined;
      },
      startTimeoutMs,
      () => `slurmctld (${conf}) does not answer scontrol ping; its log:\n${log()}`,
    );
    answered = true;
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    conf,
    env,
    clusterName,
    scontrol,
    sbatch: async (args) => (await run('/usr/bin/sbatch', ['--parsable', ...args], env, dir)).trim().split(';')[0]!,
    nodes,
    node: async (name) => {
      const found = (await nodes()).find((node) => node.name === name);
      if (!found) throw new Error(`no node ${name} in ${conf}`);
      return found;
    },
    job: async (id) => parseJob(await scontrol(['show', 'job', id, '--oneliner'])),
    startSlurmd: async (node) => {
      // -b: report a reboot now, which slurmctld expects of a node it powered up
      const child = spawn(SLURMD, ['-D', '-b', '-N', node, '-f', conf], { cwd: dir, env: cleanEnv({}), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
      slurmds.push(child);
      let output = '';
      child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)));
      await waitFor(
        async () => {
          if (!isRunning(child)) throw new Error(`slurmd for ${node} exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
          return /slurmd started on/.test(output) ? true : undefined;
        },
        startTimeoutMs,
        () => `slurmd for ${node} did not start:\n${output}`,
      );
      return { node, stop: () => endGroup(child) };
    },
    log,
    stop,
  };
}

/** SIGTERM to the child's process group, SIGKILL if it is still there after 10 s. */
async function endGroup(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // the group is gone already
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * `Key=value Key=value ...` of one --oneliner line. A value runs to the next ` Key=`, so values
 * with spaces (Reason=skypool: lease ended [root@...]) come out whole.
 */
export function parseOneliner(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  const keys = [...line.matchAll(/(?:^|\s)([A-Za-z][A-Za-z_:/]*)=/g)];
  keys.forEach((key, i) => {
    const start = key.index! + key[0].length;
    const end = i + 1 < keys.length ? keys[i + 1]!.index! : line.length;
    fields.set(key[1]!, line.slice(start, end).trim());
  });
  return fields;
}

function parseNodes(output: string): SlurmNode[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('NodeName='))
    .map((line) => {
      const fields = parseOneliner(line);
      return {
        name: fields.get('NodeName') ?? '',
        state: fields.get('State') ?? '',
        addr: fields.get('NodeAddr') ?? '',
        hostname: fields.get('NodeHostName') ?? '',
        reason: (fields.get('Reason') ?? '').replace(/\s*\[[^\]]*@[^\]]*\]$/, ''),
      };
    });
}

function parseJob(output: string): SlurmJob {
  const fields = parseOneliner(output.trim());
  const nodes = fields.get('NodeList') ?? '';
  return {
    id: fields.get('JobId') ?? '',
    state: fields.get('JobState') ?? '',
    reason: fields.get('Reason') ?? '',
    nodes: nodes === '(null)' ? '' : nodes,
    restarts: Number(fields.get('Restarts') ?? 0),
  };
}

export interface ProgramCall {
  program: string;
  /** Its arguments, joined by spaces. */
  args: string;
  uid: string;
  cwd: string;
  env: Record<string, string>;
  /** SLURM_RESUME_FILE's content, if the program was given one. */
  resumeFile?: string;
}

/**
 * A shell script to use as ResumeProgram, SuspendProgram or ResumeFailProgram that records each
 * call (arguments, uid, cwd, environment, SLURM_RESUME_FILE) as a file in `dir`/calls. With
 * `nodeAddr`, it also sets each named node's NodeAddr to it first, as `skypool slurm resume` sets
 * the instance's address, so that slurmctld never looks a node's name up in DNS.
 */
export function recordingProgram(dir: string, name: string, options: { nodeAddr?: string } = {}): string {
  const calls = join(dir, 'calls');
  mkdirSync(calls, { recursive: true });
  const path = join(dir, name);
  // absolute paths: Slurm runs the program without PATH
  const setAddr = options.nodeAddr
    ? `for node in $(/usr/bin/scontrol show hostnames "$1"); do /usr/bin/scontrol update nodename="$node" nodeaddr=${options.nodeAddr}; done\n`
    : '';
  writeFileSync(
    path,
    `#!/bin/sh
${setAddr}out=${calls}/${name}.$(/usr/bin/date +%s%N).$$
{
  echo "args=$*"
  echo "uid=$(/usr/bin/id -u)"
  echo "cwd=$(pwd)"
  echo "--- env"
  /usr/bin/env
  if [ -n "$SLURM_RESUME_FILE" ]; then echo "--- resume file"; /usr/bin/cat "$SLURM_RESUME_FILE"; echo; fi
} > "$out.tmp"
/usr/bin/mv "$out.tmp" "$out"
`,
    { mode: 0o755 },
  );
  return path;
}

/** The calls recordingProgram() scripts in `dir` recorded, oldest first. */
export function recordedCalls(dir: string, program?: string): ProgramCall[] {
  const calls = join(dir, 'calls');
  if (!existsSync(calls)) return [];
  return readdirSync(calls)
    .filter((file) => !file.endsWith('.tmp'))
    .map((file) => ({ file, time: BigInt(file.split('.')[1] ?? '0') }))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
    .map(({ file }) => parseCall(file.split('.')[0]!, readFileSync(join(calls, file), 'utf8')))
    .filter((call) => program === undefined || call.program === program);
}

function parseCall(program: string, text: string): ProgramCall {
  const [head = '', rest = ''] = text.split('--- env\n');
  const [envText = '', resumeFile] = rest.split('--- resume file\n');
  const header = new Map(head.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  const env: Record<string, string> = {};
  for (const line of envText.split('\n')) if (line.includes('=')) env[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  return { program, args: header.get('args') ?? '', uid: header.get('uid') ?? '', cwd: header.get('cwd') ?? '', env, resumeFile: resumeFile?.trim() };
}
