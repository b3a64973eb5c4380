import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  recordedCalls,
  recordingProgram,
  type ProgramCall,
  type SlurmctldHandle,
  type SlurmctldOptions,
  slurmHostlist,
  slurmHostnames,
  slurmInstalled,
  startSlurmctld,
  waitFor,
} from './helpers/slurmctld.js';

/**
 * The harness the tests of `skypool slurm resume|suspend|resume-fail` run on: a real slurmctld with
 * CLOUD nodes, whose power-save programs here only record how Slurm calls them. What is checked
 * is Slurm's side of the contract (see the notes in helpers/slurmctld.ts), so that Skypool's
 * programs are written against what this Slurm does rather than what its manual suggests.
 */
const ci = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
const runs = slurmInstalled() || ci;
if (!runs) console.log('slurmctld-harness: skipped, Slurm is not installed (apt-get install slurmctld slurmd slurm-client munge); with CI=true this fails instead');

const NODES = ['NodeName=cloud[1-2] CPUs=2 RealMemory=2048 State=CLOUD Feature=skypool'];
const TEST_TIMEOUT = 120_000;

(runs ? describe : describe.skip)('a real slurmctld bursting into CLOUD nodes', () => {
  let slurm: SlurmctldHandle | undefined;
  let dir = '';
  afterEach(async () => {
    await slurm?.stop();
    slurm = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A controller whose programs record their calls; the resume one gives each node 127.0.0.1, as Skypool gives the instance's address. */
  const start = async (options: Partial<SlurmctldOptions> = {}) => {
    dir = mkdtempSync(join(tmpdir(), 'skypool-slurm-programs-'));
    slurm = await startSlurmctld({
      nodeLines: NODES,
      resumeProgram: recordingProgram(dir, 'resume', { nodeAddr: '127.0.0.1' }),
      suspendProgram: recordingProgram(dir, 'suspend'),
      resumeFailProgram: recordingProgram(dir, 'resumefail'),
      ...options,
    });
    return slurm;
  };
  const callOf = (program: string, args: string, timeoutMs = 60_000): Promise<ProgramCall> =>
    waitFor(
      async () => recordedCalls(dir, program).find((call) => call.args === args),
      timeoutMs,
      () => `${program} ${args} was not called; calls: ${JSON.stringify(recordedCalls(dir).map((c) => `${c.program} ${c.args}`))}\n${slurm?.log().slice(-4000)}`,
    );
  const nodeState = (name: string, wanted: (state: string) => boolean, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const node = await slurm!.node(name);
        return wanted(node.state) ? node : undefined;
      },
      timeoutMs,
      () => `${name} not in the state wanted\n${slurm?.log().slice(-4000)}`,
    );
  const flags = (state: string) => state.split('+');

  it('lists powered-down CLOUD nodes, and shows a NodeAddr and NodeHostName set with scontrol update', async () => {
    const slurm = await start();
    expect(await slurm.nodes()).toEqual([
      { name: 'cloud1', state: 'IDLE+CLOUD+POWERED_DOWN', addr: 'cloud1', hostname: 'cloud1', reason: '' },
      { name: 'cloud2', state: 'IDLE+CLOUD+POWERED_DOWN', addr: 'cloud2', hostname: 'cloud2', reason: '' },
    ]);

    await slurm.scontrol(['update', 'nodename=cloud1', 'nodeaddr=127.0.0.5', 'nodehostname=cloud1']);
    expect(await slurm.node('cloud1')).toEqual({ name: 'cloud1', state: 'IDLE+CLOUD+POWERED_DOWN', addr: '127.0.0.5', hostname: 'cloud1', reason: '' });
    // one address for two nodes is refused: each node needs its own
    await expect(slurm.scontrol(['update', 'nodename=cloud[1-2]', 'nodeaddr=127.0.0.1'])).rejects.toThrow(/Invalid node name specified/);
  }, TEST_TIMEOUT);

  it('runs ResumeProgram with the host list of the nodes a job needs, as root, without PATH', async () => {
    const slurm = await start();
    const id = await slurm.sbatch(['-N2', '--wrap', 'hostname']);

    const call = await callOf('resume', 'cloud[1-2]');
    expect(call.uid).toBe('0');
    expect(call.cwd).toBe(slurm.dir);
    expect(Object.keys(call.env).sort()).toEqual(['PWD', 'SLURM_CONF', 'SLURM_RESUME_FILE']);
    expect(call.env.SLURM_CONF).toBe(slurm.conf);
    expect(JSON.parse(call.resumeFile!)).toEqual({ jobs: [{ job_id: Number(id), nodes: 'cloud[1-2]' }], all_nodes: 'cloud[1-2]' });
    expect(recordedCalls(dir, 'resume')).toHaveLength(1);

    const job = await slurm.job(id);
    expect(job).toMatchObject({ state: 'CONFIGURING', nodes: 'cloud[1-2]' });
    for (const node of await slurm.nodes()) {
      expect(flags(node.state)).toEqual(expect.arrayContaining(['CLOUD', 'POWERING_UP']));
      expect(node.addr).toBe('127.0.0.1'); // set by the resume program
    }
  }, TEST_TIMEOUT);

  it('calls ResumeFailProgram after ResumeTimeout, marks the nodes DOWN and requeues the job; power_down_force and power_up bring them back', async () => {
    const slurm = await start({ resumeTimeout: 10 });
    const id = await slurm.sbatch(['-N2', '--wrap', 'hostname']);
    await callOf('resume', 'cloud[1-2]');

    const failed = await callOf('resumefail', 'cloud[1-2]');
    expect(Object.keys(failed.env).sort()).toEqual(['PWD', 'SLURM_CONF']);
    for (const name of ['cloud1', 'cloud2']) {
      const node = await nodeState(name, (state) => flags(state).includes('DOWN'));
      expect(flags(node.state)).toEqual(expect.arrayContaining(['DOWN', 'CLOUD', 'POWERED_DOWN']));
      expect(node.reason).toBe('ResumeTimeout reached');
    }
    const job = await waitFor(async () => {
      const job = await slurm.job(id);
      return job.restarts === 1 ? job : undefined;
    }, 30_000, () => `job ${id} not requeued`);
    expect(job.state).toBe('PENDING');
    expect(recordedCalls(dir, 'suspend')).toEqual([]);

    // what `skypool slurm suspend` or an operator does to a node: SuspendProgram runs, and with
    // idle_on_node_suspend the DOWN node comes back IDLE, powered down, its reason kept
    await slurm.scontrol(['update', 'nodename=cloud1', 'state=power_down_force', 'reason=skypool: resume failed']);
    await callOf('suspend', 'cloud1');
    const down = await nodeState('cloud1', (state) => state === 'IDLE+CLOUD+POWERED_DOWN');
    expect(down.reason).toBe('skypool: resume failed');

    // and it can be resumed again
    await slurm.scontrol(['update', 'nodename=cloud1', 'state=power_up']);
    await callOf('resume', 'cloud1');
    expect(flags((await slurm.node('cloud1')).state)).toEqual(expect.arrayContaining(['CLOUD', 'POWERING_UP']));
  }, TEST_TIMEOUT);

  it('runs a job to COMPLETED with a slurmd standing in for each booted VM, then suspends the idle nodes', async () => {
    const slurm = await start({ suspendTime: 5 });
    const id = await slurm.sbatch(['-N2', '--wrap', 'srun printenv SLURMD_NODENAME']);
    await callOf('resume', 'cloud[1-2]');
    await slurm.startSlurmd('cloud1');
    await slurm.startSlurmd('cloud2');

    // slurmctld starts a job on powered-up nodes at its next 30 s check
    const job = await waitFor(
      async () => {
        const job = await slurm.job(id);
        if (['FAILED', 'CANCELLED', 'NODE_FAIL', 'TIMEOUT'].includes(job.state)) throw new Error(`job ${id} ${job.state}: ${job.reason}\n${slurm.log().slice(-4000)}`);
        return job.state === 'COMPLETED' ? job : undefined;
      },
      90_000,
      () => `job ${id} not COMPLETED\n${slurm.log().slice(-4000)}`,
    );
    expect(job.nodes).toBe('cloud[1-2]');
    expect(readFileSync(join(slurm.dir, `slurm-${id}.out`), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['cloud1', 'cloud2']);

    await callOf('suspend', 'cloud[1-2]');
    for (const name of ['cloud1', 'cloud2']) await nodeState(name, (state) => state === 'IDLE+CLOUD+POWERED_DOWN');
  }, TEST_TIMEOUT);

  it("expands and compresses host lists as Slurm does (what Skypool's own expander must match)", async () => {
    expect(await slurmHostnames('cloud[1-3,5],gpu[01-02]')).toEqual(['cloud1', 'cloud2', 'cloud3', 'cloud5', 'gpu01', 'gpu02']);
    expect(await slurmHostnames('cloud[01-3]')).toEqual(['cloud01', 'cloud02', 'cloud03']);
    expect(await slurmHostnames('a[1-2]b[3-4]')).toEqual(['a1b3', 'a1b4', 'a2b3', 'a2b4']);
    expect(await slurmHostlist(['cloud1', 'cloud2', 'cloud3'])).toBe('cloud[1-3]');
    expect(await slurmHostlist(['cloud1', 'cloud3', 'cloud2', 'gpu01', 'gpu02', 'cloud10'])).toBe('cloud[1,3,2],gpu[01-02],cloud10');
  });
});
