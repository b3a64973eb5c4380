// The reference systems `npm run bench` measures next to Skypool in the same run: PostgreSQL's own
// pgbench (TPC-B) and Slurm's sbatch. Each answers { value, name } or { unavailable: why }.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { controllerLines, ensureMunged, freePorts } from '../test/helpers/local-slurm.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function run(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 120_000, maxBuffer: 10_000_000, ...options }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message.split('\n')[0]} ${stderr.trim().split('\n').at(-1) ?? ''}`));
      else resolve(stdout);
    });
  });
}

/**
 * pgbench's TPC-B-like run on a database of its own (scale `scale`, so the clients do not all
 * queue for one branch row), with as many clients as bench:submit has.
 */
export async function measurePgbench({ serverUrl, clients, seconds, scale }) {
  if (spawnSync('pgbench', ['--version']).status !== 0) return { unavailable: 'pgbench is not installed' };
  const server = new URL(serverUrl);
  const name = `skypool_benchref_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const version = (await admin.query('SHOW server_version')).rows[0].server_version.split(' ')[0];
    await admin.query(`CREATE DATABASE ${name}`);
    const connection = ['-h', server.hostname, '-p', server.port || '5432', '-U', decodeURIComponent(server.username || 'postgres')];
    const env = { ...process.env, PGPASSWORD: decodeURIComponent(server.password) };
    await run('pgbench', ['-i', '-q', '-s', String(scale), ...connection, name], { env });
    const output = await run('pgbench', ['-c', String(clients), '-j', '2', '-T', String(seconds), ...connection, name], { env, timeout: (seconds + 60) * 1000 });
    const tps = Number(/^tps = ([\d.]+)/m.exec(output)?.[1]);
    if (!Number.isFinite(tps)) return { unavailable: `pgbench printed no tps: ${output.trim().split('\n').at(-1)}` };
    return { value: Math.round(tps), name: `pgbench TPC-B tps, PostgreSQL ${version}, ${clients} clients, scale ${scale}` };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

const SLURMCTLD = '/usr/sbin/slurmctld';
const SBATCH = '/usr/bin/sbatch';
const SCONTROL = '/usr/bin/scontrol';

/**
 * How fast a slurmctld accepts batch jobs: `jobs` x `sbatch --wrap true` from `clients` concurrent
 * clients, to a controller of its own (own ports, state folder and cluster name) whose one
 * partition is DOWN, so every job is queued and none is started: what is measured is accepting a
 * job, as bench:submit measures accepting and placing a request.
 */
export async function measureSbatch({ jobs, clients }) {
  if (!existsSync(SLURMCTLD) || !existsSync(SBATCH)) return { unavailable: `Slurm is not installed (${SLURMCTLD})` };
  if (process.getuid?.() !== 0) return { unavailable: 'slurmctld runs here as SlurmUser=root: run npm run bench as root' };
  try {
    await ensureMunged();
  } catch (err) {
    return { unavailable: err.message };
  }
  const version = spawnSync(SLURMCTLD, ['-V'], { encoding: 'utf8' }).stdout.trim().replace(/^slurm(-wlm)? /, '');
  const dir = mkdtempSync(join(tmpdir(), 'skypool-benchref-slurm-'));
  mkdirSync(join(dir, 'state'));
  const conf = join(dir, 'slurm.conf');
  const [ctldPort, slurmdPort] = await freePorts(2);
  writeFileSync(
    conf,
    [
      ...controllerLines({ clusterName: `skypoolref${process.pid}`, dir, ctldPort, slurmdPort }),
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      'SlurmctldDebug=info',
      // nodes that never come up, in a partition that queues jobs but starts none
      'NodeName=ref[1-4] CPUs=2 State=FUTURE',
      'PartitionName=hold Nodes=ref[1-4] Default=YES MaxTime=INFINITE State=DOWN',
      '',
    ].join('\n'),
  );
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', SLURM_CONF: conf };
  // its own process group, so the stop below also ends what it started
  const ctld = spawn(SLURMCTLD, ['-D', '-f', conf], { cwd: dir, env, detached: true, stdio: 'ignore' });
  // should this process end without the finally below (an exception elsewhere, process.exit)
  const killAtExit = () => process.kill(-ctld.pid, 'SIGKILL');
  process.once('exit', killAtExit);
  const stop = async () => {
    if (ctld.exitCode === null && ctld.signalCode === null) {
      const exited = new Promise((resolve) => ctld.once('exit', resolve));
      process.kill(-ctld.pid, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-ctld.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', killAtExit);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let tries = 0; ; tries++) {
      if (ctld.exitCode !== null) return { unavailable: `slurmctld exited with ${ctld.exitCode} (${conf})` };
      const ping = await run(SCONTROL, ['ping'], { env, cwd: dir }).catch(() => '');
      if (/is UP/.test(ping)) break;
      if (tries > 120) return { unavailable: 'slurmctld does not answer scontrol ping' };
      await sleep(250);
    }
    let next = 0;
    let accepted = 0;
    const started = performance.now();
    const client = async () => {
      while (next < jobs) {
        next++;
        await run(SBATCH, ['--parsable', '--wrap', 'true'], { env, cwd: dir });
        accepted++;
      }
    };
    await Promise.all(Array.from({ length: clients }, () => client()));
    const seconds = (performance.now() - started) / 1000;
    return { value: Number((accepted / seconds).toFixed(1)), name: `Slurm ${version} sbatch jobs/s, ${clients} clients` };
  } catch (err) {
    return { unavailable: `sbatch failed: ${err.message}` };
  } finally {
    await stop();
  }
}
