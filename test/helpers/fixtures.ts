import type { GraphqlClient } from './graphql-client.js';

/**
 * The setup most suites need, once: a project, its allocation, a request. Each takes the client
 * to act as (usually the admin), sends the inputs as variables, and returns the new id, throwing
 * with what the server said when the operation is refused; a test that asserts on the refusal
 * itself sends its own GraphQL.
 */

export interface ProjectInput {
  name: string;
  institution: string;
}

/** GrantAllocationInput without the project (schema.graphql). */
export interface AllocationInput {
  vcpus: number;
  memoryMiB: number;
  gpus?: number;
  instances?: number;
  coreHours?: number;
  gpuHours?: number;
  startsAt?: string;
  endsAt?: string;
  terminateAfterMinutes?: number;
}

/** SubmitRequestInput (schema.graphql). */
export interface RequestInput {
  projectId: string;
  image: string;
  vcpus: number;
  memoryMiB: number;
  leaseHours: number;
  gpus?: number;
  count?: number;
  minCount?: number;
  sites?: string[];
  preferredSites?: string[];
  spanSites?: boolean;
  requirements?: string[];
  idempotencyKey?: string;
  sshPublicKey?: string;
  userData?: string;
}

export async function createProject(client: GraphqlClient, input: ProjectInput): Promise<string> {
  const { createProject } = await client.data<{ createProject: { id: string } }>(`mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }`, { i: input });
  return createProject.id;
}

export async function grantAllocation(client: GraphqlClient, projectId: string, input: AllocationInput): Promise<string> {
  const { grantAllocation } = await client.data<{ grantAllocation: { id: string } }>(`mutation($i: GrantAllocationInput!) { grantAllocation(input: $i) { id } }`, {
    i: { projectId, ...input },
  });
  return grantAllocation.id;
}

/** A project with an allocation in force: the starting point of most suites. */
export async function projectWithAllocation(client: GraphqlClient, project: ProjectInput, allocation: AllocationInput): Promise<string> {
  const id = await createProject(client, project);
  await grantAllocation(client, id, allocation);
  return id;
}

/** Submits a request and returns its id; a UserError answer (e.g. over quota) throws with its message. */
export async function submitRequest(client: GraphqlClient, input: RequestInput): Promise<string> {
  const { submitRequest } = await client.data<{ submitRequest: { __typename: string; id?: string; message?: string } }>(
    `mutation($i: SubmitRequestInput!) { submitRequest(input: $i) { __typename ... on ResourceRequest { id } ... on UserError { message } } }`,
    { i: input },
  );
  if (submitRequest.__typename !== 'ResourceRequest' || !submitRequest.id) throw new Error(`request not accepted (${submitRequest.__typename}): ${submitRequest.message}`);
  return submitRequest.id;
}
