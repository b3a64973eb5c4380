import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ApiClient } from '../api-client.js';
import { UsageError } from '../cli-error.js';
import { ExitCode } from '../exit-codes.js';
import { printJson, type Print } from '../output.js';
import { NodeRequests } from './node-requests.js';
import { readNodeSetFile, type NodeSetFile } from './node-sets.js';
import { scontrol } from './scontrol.js';
import { PROGRAMS, slurmConfLines } from './slurm-conf.js';
import { SlurmLog } from './slurm-log.js';
import { resume, resumeFail, suspend, sync, type Outcome, type SlurmContext } from './slurm-programs.js';

/** `--file`, else SKYPOOL_SLURM_FILE. */
export function nodeSetFile(flag: string | undefined, env: NodeJS.ProcessEnv): NodeSetFile {
  const path = flag ?? env.SKYPOOL_SLURM_FILE;
  if (!path) throw new UsageError('no node-set file: give --file or set SKYPOOL_SLURM_FILE (see the README, "Bursting from Slurm")');
  return readNodeSetFile(path);
}

/** `skypool slurm config`: the slurm.conf lines for the node sets. */
export function printSlurmConfig(file: NodeSetFile, json: boolean, print: Print): void {
  const lines = slurmConfLines(file);
  if (json) return printJson(lines, print);
  lines.forEach((line) => print(line));
}

const shellQuoted = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** What the wrappers pass on from the environment they are written in: slurmctld runs its programs with little of it. */
const PASSED_ON = ['SKYPOOL_URL', 'XDG_CONFIG_HOME', 'SLURM_CONF', 'PATH'];

/**
 * `skypool slurm wrappers`: the three programs slurm.conf names, each two lines that set the
 * environment and run `skypool slurm <verb>`. The token stays in the login profile of the user
 * they run as (SlurmUser), never in the wrappers.
 */
export function writeWrappers(file: NodeSetFile, logFile: string, env: NodeJS.ProcessEnv, json: boolean, print: Print): void {
  mkdirSync(file.programDir, { recursive: true });
  const settings = {
    SKYPOOL_SLURM_FILE: resolve(file.file),
    SKYPOOL_SLURM_LOG: resolve(logFile),
    ...Object.fromEntries(PASSED_ON.filter((name) => env[name]).map((name) => [name, env[name]!])),
  };
  const exports = Object.entries(settings).map(([name, value]) => `${name}=${shellQuoted(value)}`);
  const written = Object.entries(PROGRAMS).map(([verb, name]) => {
    const path = join(file.programDir, name);
    writeFileSync(path, `#!/bin/sh\nexport ${exports.join(' ')}\nexec ${shellQuoted(process.execPath)} ${shellQuoted(resolve(process.argv[1]!))} slurm ${verb} "$@"\n`, { mode: 0o700 });
    chmodSync(path, 0o700); // also when it was there before
    return path;
  });
  if (json) return printJson(written, print);
  written.forEach((path) => print(`wrote ${path}`));
}

function context(api: ApiClient, file: NodeSetFile, program: string, env: NodeJS.ProcessEnv): SlurmContext {
  return { file, requests: new NodeRequests(api, file), scontrol, log: new SlurmLog(`skypool-slurm-${program}`, env.SKYPOOL_SLURM_LOG) };
}

/** Runs one of the programs Slurm calls; exit status 1 when some node could not be handled. */
export async function runSlurmProgram(api: ApiClient, file: NodeSetFile, program: 'resume' | 'suspend' | 'resume-fail' | 'sync', hostList: string | undefined, env: NodeJS.ProcessEnv, json: boolean, print: Print): Promise<void> {
  const run = context(api, file, program, env);
  let outcome: Outcome;
  if (program === 'sync') outcome = await sync(run);
  else {
    if (!hostList) throw new UsageError(`slurm ${program}: give the host list, e.g. cloud[1-2]`);
    outcome = await (program === 'resume' ? resume(run, hostList, env.SLURM_RESUME_FILE) : program === 'suspend' ? suspend(run, hostList) : resumeFail(run, hostList));
  }
  if (json) printJson(outcome, print);
  if (outcome.failed.length > 0) process.exitCode = ExitCode.REFUSED;
}
