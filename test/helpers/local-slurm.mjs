// What test/helpers/slurmctld.ts (the bursting tests' controller) and bench/references.mjs (the
// sbatch reference) both need to run a slurmctld of their own on this machine. Plain JavaScript,
// so the benchmark can import it; its types are in local-slurm.d.mts.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const MUNGED = '/usr/sbin/munged';
const MUNGE_KEY = '/etc/munge/munge.key';

/** Polls `probe` until it returns something other than undefined; fails with `describe()` after the deadline. */
export async function waitFor(probe, timeoutMs, describe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Ports free on every address now, all different (held open together until each is chosen). */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      await new Promise((resolve, reject) => server.once('error', reject).listen(0, '0.0.0.0', resolve));
      servers.push(server);
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/**
 * munged, which auth/munge needs: started (with a key, if the machine lost it) when it does not
 * answer, and left running. Needs root, as the Debian package's service would.
 */
export async function ensureMunged() {
  const works = () => spawnSync('/usr/bin/munge', ['-n'], { stdio: 'ignore' }).status === 0;
  if (works()) return;
  if (!existsSync(MUNGE_KEY)) {
    // the munge package makes a key at install; a machine that lost it gets a fresh one
    const made = existsSync('/usr/sbin/mungekey')
      ? spawnSync('/usr/sbin/mungekey', ['--create', `--keyfile=${MUNGE_KEY}`], { encoding: 'utf8' })
      : spawnSync('/usr/sbin/create-munge-key', ['-f'], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`cannot create ${MUNGE_KEY}: ${made.stderr}`);
    spawnSync('/usr/bin/chown', ['munge:munge', MUNGE_KEY]);
    chmodSync(MUNGE_KEY, 0o600);
  }
  mkdirSync('/run/munge', { recursive: true, mode: 0o755 });
  spawnSync('/usr/bin/chown', ['munge:munge', '/run/munge']);
  // another suite may start it at the same moment: its failure then is fine, a working socket is what counts
  const started = spawnSync('/usr/sbin/runuser', ['-u', 'munge', '--', MUNGED], { encoding: 'utf8' });
  await waitFor(async () => (works() ? true : undefined), 10_000, () => `munged does not answer (runuser: ${started.status} ${started.stderr})`);
}

/**
 * The slurm.conf lines of a controller of its own: its cluster name, ports and state folder (in
 * `dir`), bound to 127.0.0.1, running as root, with munge and without accounting. The caller adds
 * its logs, spool folders, nodes and partitions.
 */
export function controllerLines({ clusterName, dir, ctldPort, slurmdPort }) {
  return [
    `ClusterName=${clusterName}`,
    // the controller must be this machine's short name; the address is the one clients use
    `SlurmctldHost=${hostname().split('.')[0]}(127.0.0.1)`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    // slurmctld binds 127.0.0.1 instead of every address
    'CommunicationParameters=NoCtldInAddrAny',
    'SlurmUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    'MailProg=/bin/true',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
  ];
}
