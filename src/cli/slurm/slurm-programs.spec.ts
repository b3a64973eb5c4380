import { describe, expect, it } from '@jest/globals';
import type { NodeRequest, NodeRequestsApi } from './node-requests.js';
import { parseNodeSetFile } from './node-sets.js';
import type { Scontrol, SlurmNode } from './scontrol.js';
import { SlurmLog } from './slurm-log.js';
import { sync, type SlurmContext } from './slurm-programs.js';

/**
 * `sync`'s decisions, with Slurm and the broker stood in for (the real ones are in
 * test/slurm-bursting.test.ts): which instance is a leak, which node lost its instance, and which
 * lease is extended.
 */
const file = parseNodeSetFile('project: p\ncluster: hpc\nnodeSets:\n  - nodes: cloud[1-4]\n    image: i\n    vcpus: 2\n    memoryMiB: 2048\n    leaseHours: 8\n', 'slurm.yaml');
const HOUR = 3600_000;

function request(node: string, state: string, leaseEndsInHours: number): NodeRequest {
  return {
    id: `r-${node}`,
    state,
    reason: null,
    reasonCode: null,
    createdAt: new Date().toISOString(),
    leaseEndsAt: new Date(Date.now() + leaseEndsInHours * HOUR).toISOString(),
    instances: [],
    tags: [
      { key: 'slurm:cluster', value: 'hpc' },
      { key: 'slurm:node', value: node },
    ],
  };
}

function world(slurmNodes: Pick<SlurmNode, 'name' | 'state'>[], requests: NodeRequest[]) {
  const done: string[] = [];
  const api: NodeRequestsApi = {
    list: async () => requests,
    submit: () => Promise.reject(new Error('sync submits nothing')),
    note: async () => undefined,
    cancel: async (id) => {
      done.push(`cancel ${id}`);
      return { ...requests.find((r) => r.id === id)!, state: 'TERMINATING' };
    },
    extend: async (id, hours) => {
      done.push(`extend ${id} by ${hours} h`);
      return requests.find((r) => r.id === id)!;
    },
    settle: () => Promise.reject(new Error('sync waits for nothing')),
  };
  const scontrol: Scontrol = {
    nodes: async () => slurmNodes.map((n) => ({ ...n, addr: n.name, hostname: n.name, reason: null })),
    update: async (node, settings) => void done.push(`scontrol ${node} ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ')}`),
  };
  const context: SlurmContext = { file, requests: api, scontrol, log: new SlurmLog('skypool-slurm-sync', undefined, () => undefined) };
  return { context, done };
}

describe('skypool slurm sync', () => {
  it('ends instances of nodes Slurm has powered down or does not know, and leaves nodes coming up alone', async () => {
    const { context, done } = world(
      [
        { name: 'cloud1', state: 'IDLE+CLOUD+POWERED_DOWN' },
        { name: 'cloud2', state: 'IDLE+CLOUD+POWERING_DOWN' },
        { name: 'cloud3', state: 'MIXED+CLOUD+NOT_RESPONDING+POWERING_UP' },
      ],
      [request('cloud1', 'RUNNING', 8), request('cloud2', 'PROVISIONING', 8), request('cloud3', 'PROVISIONING', 8), request('cloud9', 'RUNNING', 8)],
    );
    expect(await sync(context)).toEqual({ done: ['cloud1', 'cloud2', 'cloud9'], failed: [] });
    expect(done).toEqual(['cancel r-cloud1', 'cancel r-cloud2', 'cancel r-cloud9']);
  });

  it('hands back a node Slurm has up whose instance is gone, so its jobs are requeued', async () => {
    const { context, done } = world([{ name: 'cloud1', state: 'ALLOCATED+CLOUD' }], [{ ...request('cloud1', 'FAILED', 8) }]);
    expect(await sync(context)).toEqual({ done: ['cloud1'], failed: [] });
    expect(done).toEqual(['scontrol cloud1 state=power_down_force reason=skypool: its instance is gone (no running request)']);
  });

  it("extends the lease of a node in use when a quarter of the node set's lease is left, and not before", async () => {
    const { context, done } = world(
      [
        { name: 'cloud1', state: 'ALLOCATED+CLOUD' },
        { name: 'cloud2', state: 'MIXED+CLOUD' },
        { name: 'cloud3', state: 'IDLE+CLOUD' },
      ],
      [request('cloud1', 'RUNNING', 1.5), request('cloud2', 'RUNNING', 2.5), request('cloud3', 'RUNNING', 0.5)],
    );
    expect(await sync(context)).toEqual({ done: ['cloud1'], failed: [] });
    expect(done).toEqual(['extend r-cloud1 by 8 h']); // cloud2 has more than 2 h left; cloud3 is idle, and Slurm will suspend it
  });

  it('goes on past a node it cannot change, and counts it as failed', async () => {
    const { context, done } = world([{ name: 'cloud1', state: 'IDLE+CLOUD+POWERED_DOWN' }], [request('cloud1', 'RUNNING', 8), request('cloud2', 'RUNNING', 8)]);
    context.requests.cancel = async (id) => {
      if (id === 'r-cloud1') throw new Error('the broker is restarting');
      done.push(`cancel ${id}`);
      return request('cloud2', 'TERMINATING', 8);
    };
    expect(await sync(context)).toEqual({ done: ['cloud2'], failed: ['cloud1'] });
  });
});
