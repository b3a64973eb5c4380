import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { ExitCode } from '../exit-codes.js';
import { FINAL_STATES, followRequest } from '../follow-request.js';
import { resolveProject } from '../request-commands.js';
import type { NodeSet, NodeSetFile } from './node-sets.js';

/** The tags that tie a request to a Slurm node; they are copied onto the instance at its site. */
export const TAG_CLUSTER = 'slurm:cluster';
export const TAG_NODE = 'slurm:node';

/** Written in a node set's user-data, replaced by the node's name in each request. */
export const NODE_PLACEHOLDER = '{{slurm_node}}';

const NODE_REQUEST_FIELDS = `id state reason reasonCode leaseEndsAt createdAt
  instances { state privateIp publicIp site { name } }
  tags { key value }`;

export interface NodeRequest {
  id: string;
  state: string;
  reason: string | null;
  reasonCode: string | null;
  leaseEndsAt: string | null;
  createdAt: string;
  instances: { state: string; privateIp: string | null; publicIp: string | null; site: { name: string } }[];
  tags: { key: string; value: string }[];
}

/** A request is the node's while it is not final: at most one at a time, by construction of `submit`. */
export const isActive = (request: NodeRequest) => !FINAL_STATES.includes(request.state) && request.state !== 'TERMINATING';

export const nodeOf = (request: NodeRequest) => request.tags.find((tag) => tag.key === TAG_NODE)?.value;

type Submitted = { __typename: 'ResourceRequest' } & NodeRequest;
type Refused = { __typename: 'QuotaExceededError' | 'InvalidRequestError'; code: string; message: string };

/** The Skypool side of a cluster's nodes: each node's requests, through the broker's API. */
export class NodeRequests {
  private projectId?: Promise<string>;

  constructor(
    private readonly api: ApiClient,
    private readonly file: NodeSetFile,
  ) {}

  private project(): Promise<string> {
    this.projectId ??= resolveProject(this.api, this.file.project).then((p) => p.id);
    return this.projectId;
  }

  /** Every request of the cluster's nodes (or of one node), newest first. */
  async list(node?: string): Promise<NodeRequest[]> {
    const tags = [{ key: TAG_CLUSTER, value: this.file.cluster }, ...(node ? [{ key: TAG_NODE, value: node }] : [])];
    const found: NodeRequest[] = [];
    for (let after: string | undefined; ; after = found.at(-1)!.id) {
      const { resourceRequests } = await this.api.request<{ resourceRequests: NodeRequest[] }>(
        `query($p: ID, $tags: [TagInput!], $after: ID) { resourceRequests(projectId: $p, tags: $tags, first: 1000, after: $after) { ${NODE_REQUEST_FIELDS} } }`,
        { p: await this.project(), tags, after },
      );
      found.push(...resourceRequests);
      if (resourceRequests.length < 1000) return found;
    }
  }

  /**
   * Asks for the node's instance. The idempotency key counts the node's earlier requests, so a
   * `resume` run twice for one power-up (Slurm retrying, two programs racing) gets one request,
   * and the next power-up, after this one has ended, a new one.
   */
  async submit(node: string, set: NodeSet, earlier: number): Promise<NodeRequest | Refused> {
    const input = {
      projectId: await this.project(),
      image: set.image,
      vcpus: set.vcpus,
      memoryMiB: set.memoryMiB,
      gpus: set.gpus,
      count: 1,
      leaseHours: set.leaseHours,
      sites: set.sites,
      preferredSites: set.preferSites,
      requirements: set.requirements,
      // the instance must know which Slurm node it is to start `slurmd -N <node>`
      userData: set.userData?.replaceAll(NODE_PLACEHOLDER, node),
      sshPublicKey: set.sshPublicKey,
      idempotencyKey: `slurm/${this.file.cluster}/${node}/${earlier + 1}`,
      tags: [
        { key: TAG_CLUSTER, value: this.file.cluster },
        { key: TAG_NODE, value: node },
      ],
    };
    const { submitRequest } = await this.api.request<{ submitRequest: Submitted | Refused }>(
      `mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { __typename ... on ResourceRequest { ${NODE_REQUEST_FIELDS} } ... on UserError { code message } } }`,
      { input },
    );
    return submitRequest;
  }

  /** Writes into the request's history: Slurm keeps none of its programs' output. */
  async note(requestId: string, note: string): Promise<void> {
    await this.api.request('mutation($id: ID!, $note: String!) { addRequestNote(requestId: $id, note: $note) { at } }', { id: requestId, note });
  }

  async cancel(requestId: string): Promise<NodeRequest> {
    const { cancelRequest } = await this.api.request<{ cancelRequest: NodeRequest }>(`mutation($id: ID!) { cancelRequest(id: $id) { ${NODE_REQUEST_FIELDS} } }`, { id: requestId });
    return cancelRequest;
  }

  async extend(requestId: string, hours: number): Promise<NodeRequest> {
    const { extendLease } = await this.api.request<{ extendLease: NodeRequest }>(`mutation($id: ID!, $h: Float!) { extendLease(id: $id, hours: $h) { ${NODE_REQUEST_FIELDS} } }`, { id: requestId, h: hours });
    return extendLease;
  }

  /** The request once RUNNING or final; after `deadlineSeconds`, the request as it then stands with `timedOut`. */
  async settle(requestId: string, deadlineSeconds: number): Promise<{ request: NodeRequest; timedOut: boolean }> {
    try {
      const request = await followRequest<NodeRequest>(this.api, requestId, NODE_REQUEST_FIELDS, (r) => r.state === 'RUNNING' || FINAL_STATES.includes(r.state), deadlineSeconds * 1000);
      return { request, timedOut: false };
    } catch (err) {
      if (!(err instanceof CliError) || err.exitCode !== ExitCode.TIMED_OUT) throw err;
      const { resourceRequest } = await this.api.request<{ resourceRequest: NodeRequest }>(`query($id: ID!) { resourceRequest(id: $id) { ${NODE_REQUEST_FIELDS} } }`, { id: requestId });
      return { request: resourceRequest, timedOut: true };
    }
  }
}

/** What the Slurm programs use of NodeRequests (a spec gives them a stand-in). */
export type NodeRequestsApi = Pick<NodeRequests, 'list' | 'submit' | 'note' | 'cancel' | 'extend' | 'settle'>;
