import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SiteEmulatorService } from '../src/compute/site-emulator.service.js';
import { ADMIN_TOKEN, eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { expectExit, runCli } from './helpers/cli.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import type { RequestEvent, ResourceRequest, Tag } from './helpers/generated/graphql.js';
import { slurmInstalled, startSlurmctld, type Slurmd, type SlurmctldHandle } from './helpers/slurmctld.js';
import type { GraphqlClient } from './helpers/graphql-client.js';
import { databaseKind } from './helpers/test-database.js';

/**
 * Slurm bursting into the federation, end to end: a real slurmctld whose ResumeProgram,
 * SuspendProgram and ResumeFailProgram are the wrappers `skypool slurm wrappers` writes, with the
 * node lines `skypool slurm config` prints; a broker with the demo federation's emulated sites;
 * and a slurmd per node, started once its instance runs, standing in for the VM's boot.
 */
const ci = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
const runs = slurmInstalled() || ci;
if (!runs) console.log('slurm-bursting: skipped, Slurm is not installed (apt-get install slurmctld slurmd slurm-client munge); with CI=true this fails instead');

type NodeRequest = Pick<ResourceRequest, 'id' | 'state' | 'reason'> & {
  tags: Tag[];
  instances: { state: string; privateIp: string | null; siteInstanceId: string | null; site: { name: string } }[];
  events: Pick<RequestEvent, 'kind' | 'reason' | 'toState' | 'reasonCode'>[];
};
type SiteListing = { instanceId: string; state: string; tags: Record<string, string> }[];

const NODE_REQUEST = 'id state reason tags { key value } instances { state privateIp siteInstanceId site { name } } events { kind reason toState reasonCode }';
const SITES = ['umich', 'edinburgh', 'tacc'];
const FINAL = ['TERMINATED', 'CANCELLED', 'FAILED', 'EXPIRED'];

(runs ? describe : describe.skip)(`skypool slurm against a real slurmctld, on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let slurm: SlurmctldHandle;
  let dir: string;
  let nodeSetFile: string;
  let slurmLog: string;
  /** The login profile of the user slurmctld runs the programs as (the SlurmUser). */
  let profile: string;
  /** The cluster's own account, as the Slurm programs use it. */
  let cluster: GraphqlClient;
  const slurmds: Slurmd[] = [];

  /** As cron would run `skypool slurm sync` on the controller: as the SlurmUser, with Slurm's configuration. */
  const cli = (args: string[]) => runCli(args, { XDG_CONFIG_HOME: profile, SKYPOOL_URL: t.url, ...slurm.env });
  const nodeRequests = async (node?: string): Promise<NodeRequest[]> =>
    (
      await t.admin.data<{ resourceRequests: NodeRequest[] }>(`query($tags: [TagInput!]) { resourceRequests(tags: $tags, first: 1000) { ${NODE_REQUEST} } }`, {
        tags: [{ key: 'slurm:cluster', value: 'hpc' }, ...(node ? [{ key: 'slurm:node', value: node }] : [])],
      })
    ).resourceRequests;
  const runningAt = async (site: string) =>
    ((await (await fetch(`${t.url}/emulator/${site}/instances`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as SiteListing).filter(
      (i) => i.tags['slurm:cluster'] === 'hpc' && !['terminated', 'shutting-down'].includes(i.state),
    );
  /** The node's latest request once `until` holds for it. */
  const requestOf = (node: string, what: string, until: (r: NodeRequest) => boolean, timeoutMs = 60_000) =>
    eventually(async () => (await nodeRequests(node)).find(until), `node ${node}: ${what}`, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}\nlog of the Slurm programs:\n${logText()}`);
    });
  const slurmNode = (node: string, what: string, until: (state: string, reason: string, addr: string) => boolean, timeoutMs = 60_000) =>
    eventually(
      async () => {
        const found = await slurm.node(node);
        return until(found.state, found.reason, found.addr) ? found : undefined;
      },
      `Slurm's node ${node}: ${what}`,
      timeoutMs,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nlog of the Slurm programs:\n${logText()}\nslurmctld:\n${slurm.log().slice(-3000)}`);
    });
  const logText = () => {
    try {
      return readFileSync(slurmLog, 'utf8');
    } catch {
      return '(none yet)';
    }
  };
  const flags = (state: string) => state.split('+');

  beforeAll(async () => {
    t = await startTestBroker(); // the demo federation: umich, edinburgh, tacc
    const projectId = await projectWithAllocation(t.admin, { name: 'slurm-hpc', institution: 'University of Michigan' }, { vcpus: 8, memoryMiB: 65536, coreHours: 1000 });
    dir = mkdtempSync(join(tmpdir(), 'skypool-bursting-'));
    profile = join(dir, 'config');
    slurmLog = join(dir, 'skypool-slurm.log');
    // the cluster's own token, for its project only, kept in the SlurmUser's profile
    const { createServiceAccount } = await t.admin.data<{ createServiceAccount: { token: string } }>(
      'mutation($p: ID!) { createServiceAccount(input: { name: "slurm-hpc", role: RESEARCHER, projectId: $p }) { token } }',
      { p: projectId },
    );
    expectExit(await runCli(['login', '--url', t.url], { XDG_CONFIG_HOME: profile }, `${createServiceAccount.token}\n`), 0);
    cluster = t.anonymous.withToken(createServiceAccount.token);

    nodeSetFile = join(dir, 'slurm.yaml');
    writeFileSync(join(dir, 'slurm-node.sh'), '#!/bin/sh\nslurmd -b -N {{slurm_node}}\n');
    writeFileSync(
      nodeSetFile,
      `project: slurm-hpc
cluster: hpc
programDir: ${join(dir, 'bin')}
resumeTimeout: 40s
suspendTime: 15s
nodeSets:
  - nodes: cloud[1-4]
    image: ubuntu-22.04
    vcpus: 2
    memoryMiB: 2048
    leaseHours: 2
    features: [small]
    placementDeadline: 20s
    userDataFile: slurm-node.sh
  - nodes: pref[1-2]
    image: ubuntu-22.04
    vcpus: 1
    memoryMiB: 1024
    leaseHours: 2
    features: [pref]
    preferSites: [umich]
    placementDeadline: 20s
  - nodes: big1
    image: ubuntu-22.04
    vcpus: 16
    memoryMiB: 4096
    leaseHours: 2
    features: [big]
    placementDeadline: 10s
`,
    );
    expectExit(await runCli(['slurm', 'wrappers', '--file', nodeSetFile, '--log', slurmLog], { XDG_CONFIG_HOME: profile, SKYPOOL_URL: t.url }), 0);
    const printed = await runCli(['slurm', 'config', '--file', nodeSetFile, '--json'], {});
    expectExit(printed, 0);
    const lines = JSON.parse(printed.stdout) as string[];
    const setting = (name: string) => lines.find((line) => line.startsWith(`${name}=`))!.slice(name.length + 1);
    // the harness writes the rest of slurm.conf (ports, state, PrivateData, SlurmctldParameters) itself
    slurm = await startSlurmctld({
      nodeLines: lines.filter((line) => line.startsWith('NodeName=')),
      resumeProgram: setting('ResumeProgram'),
      suspendProgram: setting('SuspendProgram'),
      resumeFailProgram: setting('ResumeFailProgram'),
      resumeTimeout: Number(setting('ResumeTimeout')),
      suspendTime: Number(setting('SuspendTime')),
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(slurmds.map((d) => d.stop()));
    await slurm?.stop();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a job on two nodes: RUNNING requests whose addresses Slurm has as NodeAddr, the job COMPLETED, and after the nodes idle nothing left running', async () => {
    const jobId = await slurm.sbatch(['-N2', '-C', 'small', '--wrap', 'hostname']);
    const nodes = ['cloud1', 'cloud2'];
    for (const node of nodes) {
      const request = await requestOf(node, 'RUNNING', (r) => r.state === 'RUNNING');
      const address = request.instances[0]!.privateIp!;
      expect(address).toMatch(/^127\./);
      await slurmNode(node, `NodeAddr ${address}`, (_state, _reason, addr) => addr === address);
      expect(request.tags).toEqual([
        { key: 'slurm:cluster', value: 'hpc' },
        { key: 'slurm:node', value: node },
      ]);
      // its history says what Slurm asked for and what was done, as Slurm keeps no output of its programs
      const notesOf = (r: NodeRequest) => r.events.filter((e) => e.kind === 'NOTE').map((e) => e.reason);
      const notes = notesOf(await requestOf(node, 'its notes', (r) => r.id === request.id && notesOf(r).length >= 2));
      expect(notes).toEqual([`slurm node ${node} of cluster hpc: powering up for job ${jobId}`, expect.stringMatching(new RegExp(`^slurm node ${node}: running at \\w+, Slurm's NodeAddr set to ${address.replace(/\./g, '\\.')}$`))]);
      const atSite = await runningAt(request.instances[0]!.site.name);
      expect(atSite.find((i) => i.instanceId === request.instances[0]!.siteInstanceId)?.tags).toMatchObject({ 'slurm:node': node, 'skypool:request': request.id });
      // the instance is told which node it is
      const launched = t.broker.app.get(SiteEmulatorService).emulator.instances(request.instances[0]!.site.name).find((i) => i.instanceId === request.instances[0]!.siteInstanceId)!;
      expect(Buffer.from(launched.userData!, 'base64').toString()).toContain(`slurmd -b -N ${node}\n`);
      slurmds.push(await slurm.startSlurmd(node)); // the VM boots and its slurmd registers
    }
    await eventually(async () => ((await slurm.job(jobId)).state === 'COMPLETED' ? true : undefined), `job ${jobId} to complete`, 90_000);

    // idle for SuspendTime: Slurm calls SuspendProgram, and the instances end
    for (const node of nodes) await requestOf(node, 'ended by suspend', (r) => FINAL.includes(r.state) && r.events.some((e) => e.kind === 'NOTE' && /suspend: Slurm powered the node down/.test(e.reason ?? '')), 90_000);
    await Promise.all(slurmds.splice(0).map((d) => d.stop()));
    for (const site of SITES) expect(await runningAt(site)).toEqual([]);
    expect(logText()).toMatch(/skypool-slurm-resume\[\d+\] resume cloud\[1-2\]: 2 running \(cloud\[1-2\]\)/);
    expect(logText()).toMatch(/skypool-slurm-suspend\[\d+\] suspend cloud\[1-2\]: 2 ended/);
  }, 240_000);

  it('power_up by hand; a node that never registers is given up at ResumeTimeout (resume-fail) and one forced down ends too', async () => {
    await slurm.scontrol(['update', 'nodename=cloud[3-4]', 'state=power_up']);
    const [three, four] = [await requestOf('cloud3', 'RUNNING', (r) => r.state === 'RUNNING'), await requestOf('cloud4', 'RUNNING', (r) => r.state === 'RUNNING')];
    await slurmNode('cloud4', 'its NodeAddr', (_s, _r, addr) => addr === four.instances[0]!.privateIp);
    await slurm.scontrol(['update', 'nodename=cloud4', 'state=power_down_force', 'reason=maintenance']);
    await requestOf('cloud4', 'ended', (r) => r.id === four.id && FINAL.includes(r.state));

    // no slurmd for cloud3: after ResumeTimeout Slurm calls ResumeFailProgram
    const failed = await requestOf('cloud3', 'ended by resume-fail', (r) => r.id === three.id && FINAL.includes(r.state), 120_000);
    expect(failed.events.some((e) => e.kind === 'NOTE' && /resume-fail: the node did not register with Slurm within ResumeTimeout \(40 s\)/.test(e.reason ?? ''))).toBe(true);
    for (const site of SITES) expect(await runningAt(site)).toEqual([]);
  }, 240_000);

  it('a burst the project cannot have (quota) is handed back with power_down_force and the reason in words; the job is not lost', async () => {
    const jobId = await slurm.sbatch(['-N1', '-C', 'big', '--wrap', 'hostname']);
    const node = await slurmNode('big1', 'handed back with a reason', (state, reason) => reason.startsWith('skypool:') && (flags(state).includes('POWERED_DOWN') || flags(state).includes('POWERING_DOWN')));
    expect(node.reason).toMatch(/^skypool: the broker refused the request \(QUOTA_EXCEEDED\): .*vcpus/i);
    expect(await nodeRequests('big1')).toEqual([]);
    expect((await slurm.job(jobId)).state).toBe('PENDING'); // waits for nodes Skypool can give, instead of failing
    await promisify(execFile)('/usr/bin/scancel', [jobId], { env: { ...process.env, ...slurm.env } });
    expect(logText()).toMatch(/big1: handed back to Slurm: the broker refused the request \(QUOTA_EXCEEDED\)/);
  }, 120_000);

  it('a site failing mid-burst: the node lands at another site and Slurm gets that address', async () => {
    const emulator = t.broker.app.get(SiteEmulatorService).emulator;
    emulator.setFaults('umich', { failNext: { count: 100, code: 'InsufficientInstanceCapacity' }, actions: ['RunInstances'] });
    try {
      await slurm.scontrol(['update', 'nodename=pref1', 'state=power_up']);
      const request = await requestOf('pref1', 'RUNNING elsewhere', (r) => r.state === 'RUNNING');
      const [failed, running] = [request.instances.filter((i) => i.state === 'FAILED'), request.instances.filter((i) => i.state === 'RUNNING')];
      expect(failed.map((i) => i.site.name)).toContain('umich'); // preferred, but out of capacity
      expect(running).toHaveLength(1);
      expect(running[0]!.site.name).not.toBe('umich');
      await slurmNode('pref1', "the running instance's address", (_s, _r, addr) => addr === running[0]!.privateIp);
    } finally {
      emulator.setFaults('umich', {});
    }
    await slurm.scontrol(['update', 'nodename=pref1', 'state=power_down_force', 'reason=done']);
    await requestOf('pref1', 'ended', (r) => FINAL.includes(r.state));
  }, 120_000);

  it('resume run twice at once for one node (Slurm retrying, two programs racing) starts one instance; suspend ends it', async () => {
    const resume = () => cli(['slurm', 'resume', 'pref2', '--file', nodeSetFile]);
    const [first, second] = await Promise.all([resume(), resume()]);
    expectExit(first, 0);
    expectExit(second, 0);
    const requests = await nodeRequests('pref2');
    expect(requests.map((r) => r.state)).toEqual(['RUNNING']);
    expect((await slurm.node('pref2')).addr).toBe(requests[0]!.instances.find((i) => i.state === 'RUNNING')!.privateIp);
    expectExit(await cli(['slurm', 'suspend', 'pref2', '--file', nodeSetFile]), 0);
    await requestOf('pref2', 'ended', (r) => r.id === requests[0]!.id && FINAL.includes(r.state));
  }, 120_000);

  it('sync ends an instance Slurm has powered down, and hands back a node whose instance is gone', async () => {
    // a leak: an instance for pref2, which Slurm has powered down (a suspend that never reached the broker)
    const { projects } = await cluster.data<{ projects: { id: string }[] }>('{ projects { id } }');
    const leaked = await submitRequest(cluster, {
      projectId: projects[0]!.id,
      image: 'ubuntu-22.04',
      vcpus: 1,
      memoryMiB: 1024,
      leaseHours: 2,
      tags: [
        { key: 'slurm:cluster', value: 'hpc' },
        { key: 'slurm:node', value: 'pref2' },
      ],
    });
    await requestOf('pref2', 'RUNNING', (r) => r.id === leaked && r.state === 'RUNNING');

    // cloud1 is up in Slurm (registered), but its instance is gone behind Slurm's back
    await slurm.scontrol(['update', 'nodename=cloud1', 'state=power_up']);
    const up = await requestOf('cloud1', 'RUNNING', (r) => r.state === 'RUNNING');
    const slurmd = await slurm.startSlurmd('cloud1');
    slurmds.push(slurmd);
    await slurmNode('cloud1', 'registered', (state) => !flags(state).includes('POWERING_UP') && !flags(state).includes('NOT_RESPONDING'));
    await t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { id } }', { id: up.id });

    const synced = await cli(['slurm', 'sync', '--file', nodeSetFile, '--json']);
    expectExit(synced, 0);
    expect(JSON.parse(synced.stdout)).toEqual({ done: ['pref2', 'cloud1'], failed: [] });
    await requestOf('pref2', 'the leak ended', (r) => r.id === leaked && FINAL.includes(r.state));
    const handedBack = await slurmNode('cloud1', 'handed back', (_state, reason) => reason.startsWith('skypool:'));
    expect(handedBack.reason).toBe('skypool: its instance is gone (no running request)');
    await slurmd.stop();

    const again = await cli(['slurm', 'sync', '--file', nodeSetFile, '--json']); // idempotent: nothing more to do
    expectExit(again, 0);
    expect(JSON.parse(again.stdout)).toEqual({ done: [], failed: [] });
  }, 180_000);
});
