// The benchmarks' HTTP call (answers as { status, text }, errors as rejections), and what their
// GraphQL clients share on top of it.
import http from 'node:http';

/** `http.request(url, options)` with `body` (if any), read to its end. */
export function httpRequest(url, options, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A GraphQL answer's data; throws on any error, naming the status and the errors. */
export function graphqlData({ status, text }) {
  const body = JSON.parse(text);
  if (status !== 200 || body.errors?.length) throw new Error(`GraphQL ${status}: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

/** Creates a project and grants it an allocation through `gql(query, variables)` (a client's call); resolves to its id. */
export async function projectWithAllocation(gql, project, allocation) {
  const { createProject } = await gql('mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }', { i: project });
  await gql('mutation($i: GrantAllocationInput!) { grantAllocation(input: $i) { id } }', { i: { projectId: createProject.id, ...allocation } });
  return createProject.id;
}
