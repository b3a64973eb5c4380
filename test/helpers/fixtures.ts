import type { CreateProjectInput, GrantAllocationInput, Allocation, Project, RegisterSiteInput, ResourceRequest, Site, SubmitRequestInput, UserError } from './generated/graphql.js';
import type { GraphqlClient } from './graphql-client.js';

/**
 * The setup most suites need, once: a project, its allocation, a request, a site. Each takes the client
 * to act as (usually the admin), sends the inputs as variables, and returns the new id, throwing
 * with what the server said when the operation is refused; a test that asserts on the refusal
 * itself sends its own GraphQL. Inputs and answers are typed from schema.graphql
 * (generated/graphql.ts, `npm run codegen`).
 */

/** GrantAllocationInput without the project, which the fixture takes apart. */
export type AllocationInput = Omit<GrantAllocationInput, 'projectId'>;

export async function createProject(client: GraphqlClient, input: CreateProjectInput): Promise<string> {
  const { createProject } = await client.data<{ createProject: Pick<Project, 'id'> }>(`mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }`, { i: input });
  return createProject.id;
}

export async function grantAllocation(client: GraphqlClient, projectId: string, input: AllocationInput): Promise<string> {
  const { grantAllocation } = await client.data<{ grantAllocation: Pick<Allocation, 'id'> }>(`mutation($i: GrantAllocationInput!) { grantAllocation(input: $i) { id } }`, {
    i: { projectId, ...input },
  });
  return grantAllocation.id;
}

/** A project with an allocation in force: the starting point of most suites. */
export async function projectWithAllocation(client: GraphqlClient, project: CreateProjectInput, allocation: AllocationInput): Promise<string> {
  const id = await createProject(client, project);
  await grantAllocation(client, id, allocation);
  return id;
}

/** Submits a request and returns its id; a UserError answer (e.g. over quota) throws with its message. */
export async function submitRequest(client: GraphqlClient, input: SubmitRequestInput): Promise<string> {
  const { submitRequest } = await client.data<{ submitRequest: Pick<ResourceRequest, '__typename' | 'id'> | ({ __typename: string } & Pick<UserError, 'message'>) }>(
    `mutation($i: SubmitRequestInput!) { submitRequest(input: $i) { __typename ... on ResourceRequest { id } ... on UserError { message } } }`,
    { i: input },
  );
  if (!('id' in submitRequest)) throw new Error(`request not accepted (${submitRequest.__typename}): ${submitRequest.message}`);
  return submitRequest.id;
}

/** Registers a site (probed at once, as any registration is) and returns its id. */
export async function registerSite(client: GraphqlClient, input: RegisterSiteInput): Promise<string> {
  const { registerSite } = await client.data<{ registerSite: Pick<Site, 'id'> }>(`mutation($i: RegisterSiteInput!) { registerSite(input: $i) { id } }`, { i: input });
  return registerSite.id;
}
