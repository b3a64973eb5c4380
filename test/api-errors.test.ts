import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildSchema, getNamedType, isInputObjectType, isObjectType } from 'graphql';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { createProject, projectWithAllocation, submitRequest, type AllocationInput } from './helpers/fixtures.js';
import type { GraphqlClient, GraphqlResponse } from './helpers/graphql-client.js';
import { databaseKind } from './helpers/test-database.js';

/*
 * Bad input and bad credentials get clear errors (api-contract.md: extensions.code, the field
 * named) and change nothing; expected outcomes come back as union members; no stack trace or
 * file path ever leaves the server. One broker (demo sites) for the whole file.
 */

type Data = Record<string, any>;
type Response = GraphqlResponse<Data>;

const SUBMIT = `mutation($input: SubmitRequestInput!) {
  submitRequest(input: $input) {
    __typename
    ... on ResourceRequest { id state }
    ... on QuotaExceededError { code message limit requested allowed }
    ... on InvalidRequestError { code message field }
  }
}`;
const PLAN = `query($input: SubmitRequestInput!) {
  planRequest(input: $input) { feasible reason estimatedCoreHours candidates { rank instanceType site { name } } }
}`;
const CREATE_PROJECT = `mutation($input: CreateProjectInput!) { createProject(input: $input) { id name } }`;
const GRANT = `mutation($input: GrantAllocationInput!) { grantAllocation(input: $input) { id vcpus } }`;
const REGISTER_SITE = `mutation($input: RegisterSiteInput!) { registerSite(input: $input) { id name health emulated } }`;
const CANCEL = `mutation($id: ID!) { cancelRequest(id: $id) { id state } }`;
const REQUEST = `query($id: ID!) { resourceRequest(id: $id) { id state } }`;
const CREATE_TOKEN = `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { token } }`;
const REQUESTS = `query($projectId: ID, $first: Int) { resourceRequests(projectId: $projectId, first: $first) { id project { id } } }`;

const MICHIGAN = 'University of Michigan';
/** Fits umich (m1.small) and tacc; not edinburgh, which has no ubuntu image. */
const SMALL = { image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 1024, leaseHours: 1 };

let t: TestBroker;

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Anything that looks like a file path: a stack frame's location, a file:// URL, node_modules. */
const FILE_PATH = /file:\/\/|node_modules|(?:\/[\w.@-]+)+\.[cm]?[jt]sx?\b|[A-Za-z]:\\/;

/** No response may carry a stack trace, a file path, or an opaque internal error (a 500 in disguise). */
function expectNoInternals(res: Response): void {
  const problems = (res.errors ?? []).flatMap((e) => {
    const found: string[] = [];
    if (e.extensions?.code === 'INTERNAL_SERVER_ERROR') found.push(`INTERNAL_SERVER_ERROR: ${e.message}`);
    if (e.extensions && ('stacktrace' in e.extensions || 'exception' in e.extensions)) found.push(`extensions carry a stack: ${JSON.stringify(e.extensions)}`);
    if (e.message.includes('    at ')) found.push(`message has a stack frame: ${e.message}`);
    if (FILE_PATH.test(e.message)) found.push(`message names a file: ${e.message}`);
    return found;
  });
  expect(problems).toEqual([]);
}

/** A GraphQL call through the typed client; every response is checked for leaked internals. */
async function gql(client: GraphqlClient, query: string, variables: Record<string, unknown> = {}): Promise<Response> {
  const res = await client.request<Data>(query, variables);
  expectNoInternals(res);
  return res;
}

/** A GraphQL call with hand-made headers (the client only knows good bearer tokens). */
async function rawGql(headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}): Promise<Response> {
  const res = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<Response, 'status'>;
  const response = { status: res.status, ...body };
  expectNoInternals(response);
  return response;
}

/** The data of a call that must succeed. */
async function ok(client: GraphqlClient, query: string, variables: Record<string, unknown> = {}): Promise<Data> {
  const res = await gql(client, query, variables);
  expect(res.errors).toBeUndefined();
  return res.data!;
}

function expectError(res: Response, code: string, { field, message }: { field?: string; message?: string | RegExp } = {}): void {
  expect(res.errors?.length).toBeGreaterThan(0);
  const [error] = res.errors!;
  expect(error!.extensions?.code).toBe(code);
  expect(error!.message).toBeTruthy();
  if (field !== undefined) {
    expect(error!.extensions?.field).toBe(field);
    expect(error!.message).toContain(field);
  }
  if (message !== undefined) expect(error!.message).toMatch(message);
}

/** Everything a refused call could have half-done: the number of projects, sites, allocations and requests. */
async function snapshot(): Promise<{ projects: number; sites: number; allocations: number; requests: number }> {
  const data = await ok(t.admin, `{ projects { id allocations { id } requests(first: 1000) { id } } sites { id } }`);
  const projects = data.projects as { allocations: unknown[]; requests: unknown[] }[];
  return {
    projects: projects.length,
    sites: data.sites.length,
    allocations: projects.reduce((n, p) => n + p.allocations.length, 0),
    requests: projects.reduce((n, p) => n + p.requests.length, 0),
  };
}

/** Runs `action` and checks that it changed no counts. */
async function withoutChanges<T>(action: () => Promise<T>): Promise<T> {
  const before = await snapshot();
  const result = await action();
  expect(await snapshot()).toEqual(before);
  return result;
}

/** A call that must be refused with `code` (and a message naming `field`), changing nothing. */
function expectRefused(call: () => Promise<Response>, code: string, expected: { field?: string; message?: string | RegExp } = {}): Promise<Response> {
  return withoutChanges(async () => {
    const res = await call();
    expectError(res, code, expected);
    return res;
  });
}

/** A new project of Michigan, with an allocation when given one. */
function newProject(prefix: string, allocation?: AllocationInput): Promise<string> {
  const project = { name: unique(prefix), institution: MICHIGAN };
  return allocation ? projectWithAllocation(t.admin, project, allocation) : createProject(t.admin, project);
}

async function submitted(client: GraphqlClient, input: Data): Promise<string> {
  const { submitRequest } = await ok(client, SUBMIT, { input });
  expect(submitRequest.__typename).toBe('ResourceRequest');
  return submitRequest.id;
}

/** A registerSite input that passes validation; its image is one no other site offers. */
function siteInput(overrides: Data = {}): Data {
  return {
    name: unique('site'),
    institution: MICHIGAN,
    endpoint: `${t.url}/emulator/umich`,
    region: 'us-east-1',
    accessKeyId: 'AKIAMADEUP0000000000',
    secretAccessKey: 'made-up-secret-key',
    capacity: { vcpus: 64, memoryMiB: 262144 },
    instanceTypes: [
      { name: 'x1.small', vcpus: 2, memoryMiB: 4096 },
      { name: 'x1.large', vcpus: 8, memoryMiB: 32768 },
    ],
    images: [{ image: 'api-errors-only-image', imageId: 'ami-00000000000000001' }],
    ...overrides,
  };
}

describe(`API errors on the ${databaseKind} database`, () => {
  beforeAll(async () => {
    t = await startTestBroker();
  }, 60_000);
  afterAll(() => t?.stop());

  describe('authentication', () => {
    const QUERY = `{ projects { id } }`;
    const MUTATION = `mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }`;
    const cases: [string, Record<string, string>, RegExp][] = [
      ['no Authorization header', {}, /no credentials/],
      ['a header that is not a bearer token', { authorization: 'Basic dXNlcjpwYXNzd29yZA==' }, /must read "Bearer <token>"/],
      ['a bearer header without a token', { authorization: 'Bearer' }, /must read "Bearer <token>"/],
      ['an unknown token', { authorization: `Bearer sp_${randomUUID()}` }, /unknown or revoked token/],
    ];

    it.each(cases)('a query with %s is UNAUTHENTICATED and says what was wrong', async (_what, headers, message) => {
      const res = await rawGql(headers, QUERY);
      expectError(res, 'UNAUTHENTICATED', { message });
      expect(res.data?.projects).toBeUndefined();
    });

    it.each(cases)('a mutation with %s is UNAUTHENTICATED, says what was wrong and creates nothing', async (_what, headers, message) => {
      const name = unique('unauthenticated');
      await expectRefused(() => rawGql(headers, MUTATION, { input: { name, institution: MICHIGAN } }), 'UNAUTHENTICATED', { message });
      const { projects } = await ok(t.admin, `{ projects { name } }`);
      expect(projects.map((p: { name: string }) => p.name)).not.toContain(name);
    });
  });

  describe('a researcher service account of project A', () => {
    let projectA: string;
    let projectB: string;
    let requestOfA: string;
    let requestOfB: string;
    let researcher: GraphqlClient;

    beforeAll(async () => {
      projectA = await newProject('sa-a', { vcpus: 16, memoryMiB: 65536 });
      projectB = await newProject('sa-b', { vcpus: 16, memoryMiB: 65536 });
      requestOfA = await submitRequest(t.admin, { projectId: projectA, ...SMALL });
      requestOfB = await submitRequest(t.admin, { projectId: projectB, ...SMALL });
      const { createServiceAccount } = await ok(t.admin, CREATE_TOKEN, {
        input: { name: 'batch job of A', role: 'RESEARCHER', projectId: projectA },
      });
      researcher = t.admin.withToken(createServiceAccount.token);
    });

    it('can submit to project A and see it', async () => {
      const id = await submitted(researcher, { projectId: projectA, ...SMALL });
      const { resourceRequest } = await ok(researcher, REQUEST, { id });
      expect(resourceRequest.id).toBe(id);
    });

    it('gets FORBIDDEN when it names project B, and nothing changes', async () => {
      await expectRefused(() => gql(researcher, SUBMIT, { input: { projectId: projectB, ...SMALL } }), 'FORBIDDEN');
      await expectRefused(() => gql(researcher, PLAN, { input: { projectId: projectB, ...SMALL } }), 'FORBIDDEN');
      await expectRefused(() => gql(researcher, REQUESTS, { projectId: projectB }), 'FORBIDDEN');
      await expectRefused(() => gql(researcher, REQUEST, { id: requestOfB }), 'FORBIDDEN');
    });

    it("cannot cancel project B's request", async () => {
      await expectRefused(() => gql(researcher, CANCEL, { id: requestOfB }), 'FORBIDDEN');
      const { resourceRequest } = await ok(t.admin, REQUEST, { id: requestOfB });
      expect(['CANCELLED', 'TERMINATING', 'TERMINATED']).not.toContain(resourceRequest.state);
    });

    it('sees only project A in projects, and only its requests in resourceRequests', async () => {
      const { projects } = await ok(researcher, `{ projects { id } }`);
      expect(projects).toEqual([{ id: projectA }]);
      const { resourceRequests } = await ok(researcher, REQUESTS, { first: 1000 });
      expect(resourceRequests.map((r: Data) => r.id)).toContain(requestOfA);
      expect(resourceRequests.map((r: Data) => r.project.id)).toEqual(resourceRequests.map(() => projectA));
      expect(resourceRequests.map((r: Data) => r.id)).not.toContain(requestOfB);
    });

    it('cannot register sites, create projects, grant allocations or make tokens', async () => {
      await expectRefused(() => gql(researcher, REGISTER_SITE, { input: siteInput() }), 'FORBIDDEN');
      await expectRefused(() => gql(researcher, CREATE_PROJECT, { input: { name: unique('sa-made'), institution: MICHIGAN } }), 'FORBIDDEN');
      await expectRefused(() => gql(researcher, GRANT, { input: { projectId: projectA, vcpus: 1000, memoryMiB: 1_000_000 } }), 'FORBIDDEN');
      await expectRefused(
        () => gql(researcher, CREATE_TOKEN, { input: { name: 'escalate', role: 'FEDERATION_ADMIN' } }),
        'FORBIDDEN',
      );
    });
  });

  describe('BAD_USER_INPUT names the field', () => {
    let project: string;
    beforeAll(async () => {
      project = await newProject('bad-input', { vcpus: 64, memoryMiB: 262144 });
    });

    const requestCases: [string, Data, string][] = [
      ['vcpus -2', { vcpus: -2 }, 'vcpus'],
      ['memoryMiB 0', { memoryMiB: 0 }, 'memoryMiB'],
      ['leaseHours 0', { leaseHours: 0 }, 'leaseHours'],
      ['leaseHours -1', { leaseHours: -1 }, 'leaseHours'],
      ['count 0', { count: 0 }, 'count'],
      ['minCount above count', { count: 2, minCount: 3 }, 'minCount'],
      ['gpus -1', { gpus: -1 }, 'gpus'],
      ['an unknown image', { image: 'windows-95' }, 'image'],
      ['an unknown site', { sites: ['atlantis'] }, 'sites'],
      ['an empty site list', { sites: [] }, 'sites'],
      ['a malformed sshPublicKey', { sshPublicKey: 'not-a-key' }, 'sshPublicKey'],
    ];

    it.each(requestCases)('submitRequest with %s', async (_what, overrides, field) => {
      await expectRefused(() => gql(t.admin, SUBMIT, { input: { projectId: project, ...SMALL, ...overrides } }), 'BAD_USER_INPUT', { field });
    });

    it.each(requestCases)('planRequest with %s', async (_what, overrides, field) => {
      await expectRefused(() => gql(t.admin, PLAN, { input: { projectId: project, ...SMALL, ...overrides } }), 'BAD_USER_INPUT', { field });
    });

    it('the unknown names are quoted in the message', async () => {
      const image = await gql(t.admin, SUBMIT, { input: { projectId: project, ...SMALL, image: 'windows-95' } });
      expect(image.errors![0]!.message).toContain('"windows-95"');
      const site = await gql(t.admin, SUBMIT, { input: { projectId: project, ...SMALL, sites: ['umich', 'atlantis'] } });
      expect(site.errors![0]!.message).toContain('"atlantis"');
    });

    const siteCases: [string, Data, string][] = [
      ['a bad name', { name: 'Bad_Name' }, 'name'],
      ['a non-URL endpoint', { endpoint: 'not a url' }, 'endpoint'],
      ['a non-http endpoint', { endpoint: 'ftp://example.org/ec2' }, 'endpoint'],
      ['homeShare 1.5', { homeShare: 1.5 }, 'homeShare'],
      ['capacity.vcpus 0', { capacity: { vcpus: 0, memoryMiB: 1024 } }, 'capacity.vcpus'],
      ['no instance types', { instanceTypes: [] }, 'instanceTypes'],
      [
        'an instance type listed twice',
        {
          instanceTypes: [
            { name: 'x1.small', vcpus: 2, memoryMiB: 4096 },
            { name: 'x1.small', vcpus: 4, memoryMiB: 8192 },
          ],
        },
        'instanceTypes',
      ],
      [
        'instanceTypes[1].vcpus 0',
        {
          instanceTypes: [
            { name: 'x1.small', vcpus: 2, memoryMiB: 4096 },
            { name: 'x1.large', vcpus: 0, memoryMiB: 8192 },
          ],
        },
        'instanceTypes[1].vcpus',
      ],
      ['no images', { images: [] }, 'images'],
    ];

    it.each(siteCases)('registerSite with %s', async (_what, overrides, field) => {
      const input = siteInput(overrides);
      await expectRefused(() => gql(t.admin, REGISTER_SITE, { input }), 'BAD_USER_INPUT', { field });
      const { sites } = await ok(t.admin, `{ sites { name } }`);
      expect(sites.map((s: { name: string }) => s.name)).not.toContain(input.name);
    });

    it('registerSite names the duplicated instance type', async () => {
      const res = await gql(t.admin, REGISTER_SITE, { input: siteInput({ instanceTypes: [{ name: 'twin', vcpus: 1, memoryMiB: 1024 }, { name: 'twin', vcpus: 2, memoryMiB: 2048 }] }) });
      expectError(res, 'BAD_USER_INPUT', { field: 'instanceTypes', message: /"twin"/ });
    });

    const grantCases: [string, Data, string][] = [
      ['negative vcpus', { vcpus: -1 }, 'vcpus'],
      ['negative memoryMiB', { memoryMiB: -1 }, 'memoryMiB'],
      ['negative coreHours', { coreHours: -5 }, 'coreHours'],
      ['an end before the start', { startsAt: '2030-02-01T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' }, 'endsAt'],
      ['a start that is not a date-time', { startsAt: 'yesterday' }, 'startsAt'],
      ['an end that is not a date-time', { endsAt: '2030-13-45T00:00:00Z' }, 'endsAt'],
    ];

    it.each(grantCases)('grantAllocation with %s', async (_what, overrides, field) => {
      await expectRefused(() => gql(t.admin, GRANT, { input: { projectId: project, vcpus: 4, memoryMiB: 8192, ...overrides } }), 'BAD_USER_INPUT', { field });
    });

    it('grantAllocation with a date-time literal that is not one', async () => {
      const query = `mutation { grantAllocation(input: { projectId: "${project}", vcpus: 4, memoryMiB: 8192, endsAt: "the end of time" }) { id } }`;
      await expectRefused(() => gql(t.admin, query), 'BAD_USER_INPUT', { field: 'endsAt' });
    });

    const tokenCases: [string, Data, string][] = [
      ['a RESEARCHER without projectId', { role: 'RESEARCHER' }, 'projectId'],
      ['a SITE_ADMIN without institution', { role: 'SITE_ADMIN' }, 'institution'],
      ['expiresInDays 0', { role: 'FEDERATION_ADMIN', expiresInDays: 0 }, 'expiresInDays'],
      ['an empty name', { role: 'FEDERATION_ADMIN', name: '  ' }, 'name'],
    ];

    it.each(tokenCases)('createServiceAccount with %s', async (_what, overrides, field) => {
      await expectRefused(() => gql(t.admin, CREATE_TOKEN, { input: { name: 'job', ...overrides } }), 'BAD_USER_INPUT', { field });
    });

    // PostgreSQL text cannot hold NUL: such input is the caller's mistake, not an internal error
    const NUL = 'a\u0000b';
    const nulCases: [string, () => [string, Data], string][] = [
      ['createProject name', () => [CREATE_PROJECT, { input: { name: NUL, institution: MICHIGAN } }], 'name'],
      ['submitRequest userData', () => [SUBMIT, { input: { projectId: project, ...SMALL, userData: NUL } }], 'userData'],
      ['submitRequest sshPublicKey', () => [SUBMIT, { input: { projectId: project, ...SMALL, sshPublicKey: `ssh-ed25519 AAAAC3Nz me@${NUL}` } }], 'sshPublicKey'],
      ['submitRequest idempotencyKey', () => [SUBMIT, { input: { projectId: project, ...SMALL, idempotencyKey: NUL } }], 'idempotencyKey'],
      ['registerSite endpoint', () => [REGISTER_SITE, { input: siteInput({ endpoint: `${t.url}/emulator/${NUL}` }) }], 'endpoint'],
      ['registerSite accessKeyId', () => [REGISTER_SITE, { input: siteInput({ accessKeyId: NUL }) }], 'accessKeyId'],
      ['createServiceAccount institution', () => [CREATE_TOKEN, { input: { name: 'job', role: 'SITE_ADMIN', institution: NUL } }], 'institution'],
    ];

    it.each(nulCases)('a NUL character in %s', async (_what, call, field) => {
      const [query, variables] = call();
      await expectRefused(() => gql(t.admin, query, variables), 'BAD_USER_INPUT', { field });
    });

    // every string input has a cap: none is stored (and echoed to every reader) at any length
    const LONG = (n: number) => 'a'.repeat(n);
    const tooLongCases: [string, () => [string, Data], string, RegExp][] = [
      ['a registerSite endpoint of 100 KB', () => [REGISTER_SITE, { input: siteInput({ endpoint: `${t.url}/emulator/${LONG(100_000)}` }) }], 'endpoint', /at most 2048 characters/],
      ['a registerSite region of 5 KB', () => [REGISTER_SITE, { input: siteInput({ region: LONG(5000) }) }], 'region', /at most \d+ characters/],
      ['a registerSite label value of 5 KB', () => [REGISTER_SITE, { input: siteInput({ labels: [{ key: 'gpu', value: LONG(5000) }] }) }], 'labels[0].value', /at most \d+ characters/],
      ['a submitRequest sshPublicKey of 20 KB', () => [SUBMIT, { input: { projectId: project, ...SMALL, sshPublicKey: `ssh-ed25519 ${LONG(20_000)}` } }], 'sshPublicKey', /at most 16384 characters/],
      ['a submitRequest userData of 20 KB', () => [SUBMIT, { input: { projectId: project, ...SMALL, userData: LONG(20_000) } }], 'userData', /at most 16384 characters/],
      ['a createProject name of 5 KB', () => [CREATE_PROJECT, { input: { name: LONG(5000), institution: MICHIGAN } }], 'name', /at most 200 characters/],
      ['an auditEvents action of 100 KB', () => [`query($a: String) { auditEvents(action: $a) { id } }`, { a: LONG(100_000) }], 'action', /at most 1024 characters/],
    ];

    it.each(tooLongCases)('%s', async (_what, call, field, message) => {
      const [query, variables] = call();
      await expectRefused(() => gql(t.admin, query, variables), 'BAD_USER_INPUT', { field, message });
    });

    it('an updateSite endpoint of 100 KB, so 30 aliases of sites { endpoint } cannot echo megabytes', async () => {
      const { sites } = await ok(t.admin, `{ sites { id name } }`);
      const umich = sites.find((s: { name: string }) => s.name === 'umich');
      const update = `mutation($input: UpdateSiteInput!) { updateSite(input: $input) { id } }`;
      await expectRefused(() => gql(t.admin, update, { input: { id: umich.id, endpoint: `${t.url}/emulator/${LONG(100_000)}` } }), 'BAD_USER_INPUT', { field: 'endpoint' });
    });

    // a lone surrogate is not text PostgreSQL can store: the caller's mistake, not an internal error
    const LONE = 'a\ud800b';
    const loneCases: [string, () => [string, Data], string][] = [
      ['createProject name', () => [CREATE_PROJECT, { input: { name: LONE, institution: MICHIGAN } }], 'name'],
      ['createProject institution', () => [CREATE_PROJECT, { input: { name: unique('lone'), institution: `${MICHIGAN}\udc00` } }], 'institution'],
      ['submitRequest userData', () => [SUBMIT, { input: { projectId: project, ...SMALL, userData: LONE } }], 'userData'],
      ['registerSite instance type name', () => [REGISTER_SITE, { input: siteInput({ instanceTypes: [{ name: LONE, vcpus: 2, memoryMiB: 4096 }] }) }], 'instanceTypes[0].name'],
      ['auditEvents action', () => [`query($a: String) { auditEvents(action: $a) { id } }`, { a: LONE }], 'action'],
    ];

    it.each(loneCases)('a lone surrogate in %s', async (_what, call, field) => {
      const [query, variables] = call();
      await expectRefused(() => gql(t.admin, query, variables), 'BAD_USER_INPUT', { field, message: /lone surrogate/ });
    });

    // direction overrides and other invisible controls make a name read as another (Trojan Source)
    const bidiCases: [string, () => [string, Data], string][] = [
      ['a project name', () => [CREATE_PROJECT, { input: { name: 'thesis\u202Efdp.exe', institution: MICHIGAN } }], 'name'],
      ['a project institution', () => [CREATE_PROJECT, { input: { name: unique('bidi'), institution: `\u2067${MICHIGAN}\u2069` } }], 'institution'],
      ['a site institution', () => [REGISTER_SITE, { input: siteInput({ institution: `${MICHIGAN}\u200F` }) }], 'institution'],
      ['a service account name', () => [CREATE_TOKEN, { input: { name: 'nightly\u202Ajob', role: 'FEDERATION_ADMIN' } }], 'name'],
      ['a service account institution', () => [CREATE_TOKEN, { input: { name: 'job', role: 'SITE_ADMIN', institution: `${MICHIGAN}\u2066` } }], 'institution'],
    ];

    it.each(bidiCases)('a direction-changing control character in %s', async (_what, call, field) => {
      const [query, variables] = call();
      await expectRefused(() => gql(t.admin, query, variables), 'BAD_USER_INPUT', { field, message: /invisible or direction-changing/ });
    });

    it('names in other scripts are welcome', async () => {
      const { createProject } = await ok(t.admin, CREATE_PROJECT, { input: { name: unique('東京-Zürich-القاهرة'), institution: 'Universität Zürich' } });
      expect(createProject.name).toMatch(/^東京-Zürich-القاهرة-/);
    });

    it.each([0, 1001, -1])('resourceRequests(first: %d)', async (first) => {
      await expectRefused(() => gql(t.admin, REQUESTS, { first }), 'BAD_USER_INPUT', { field: 'first' });
      await expectRefused(() => gql(t.admin, REQUESTS, { projectId: project, first }), 'BAD_USER_INPUT', { field: 'first' });
    });

    it('Project.requests(first: 0)', async () => {
      const res = await gql(t.admin, `{ projects { requests(first: 0) { id } } }`);
      expectError(res, 'BAD_USER_INPUT', { field: 'first' });
    });

    it('resourceRequests(first: 1000) is still fine', async () => {
      const { resourceRequests } = await ok(t.admin, REQUESTS, { projectId: project, first: 1000 });
      expect(Array.isArray(resourceRequests)).toBe(true);
    });
  });

  describe('GraphQL-level input errors are 4xx, never internal', () => {
    const cases: [string, string, Data][] = [
      ['a string literal for an Int', `mutation { submitRequest(input: { projectId: "x", image: "ubuntu-22.04", vcpus: "two", memoryMiB: 1024, leaseHours: 1 }) { __typename } }`, {}],
      ['a string variable for an Int', `mutation($v: Int!) { submitRequest(input: { projectId: "x", image: "ubuntu-22.04", vcpus: $v, memoryMiB: 1024, leaseHours: 1 }) { __typename } }`, { v: 'two' }],
      ['an Int beyond 32 bits', `query($first: Int) { resourceRequests(first: $first) { id } }`, { first: 3_000_000_000 }],
      ['a missing required field in a literal', `mutation { submitRequest(input: { projectId: "x", image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024 }) { __typename } }`, {}],
      ['a missing required field in a variable', SUBMIT, { input: { projectId: 'x', image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 1024 } }],
      ['an unknown input field', SUBMIT, { input: { projectId: 'x', ...SMALL, colour: 'blue' } }],
      ['an unknown enum value', `query { resourceRequests(states: [SLEEPING]) { id } }`, {}],
      ['a missing required argument', `mutation { cancelRequest { id } }`, {}],
      ['an unknown field', `{ projects { id secretAccessKey } }`, {}],
      ['a syntax error', `{ projects { id `, {}],
    ];

    it.each(cases)('%s', async (_what, query, variables) => {
      const res = await withoutChanges(() => gql(t.admin, query, variables));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.errors?.length).toBeGreaterThan(0);
      expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']).toContain(res.errors![0]!.extensions?.code);
    });

    it('a body that is not JSON is a 4xx without a stack trace', async () => {
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body: '{"query": ' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const text = await res.text();
      expect(text).not.toContain('    at ');
      expect(text).not.toMatch(FILE_PATH);
    });
  });

  describe('expected outcomes are union members, and create nothing', () => {
    it('needing more than the whole allocation is a QuotaExceededError', async () => {
      const project = await newProject('quota', { vcpus: 4, memoryMiB: 65536 });
      // 4 instances of the smallest type with 2 vCPUs (m1.medium, c1.medium) need 8 vCPUs at once
      const { submitRequest } = await withoutChanges(() => ok(t.admin, SUBMIT, { input: { projectId: project, ...SMALL, vcpus: 2, count: 4 } }));
      expect(submitRequest).toMatchObject({ __typename: 'QuotaExceededError', code: 'QUOTA_EXCEEDED', limit: 'vcpus', requested: 8, allowed: 4 });
      expect(submitRequest.message).toMatch(/8 vCPUs/);
    });

    it('a gang needs only minCount at once', async () => {
      const project = await newProject('quota-gang', { vcpus: 4, memoryMiB: 65536 });
      const { submitRequest } = await withoutChanges(() => ok(t.admin, SUBMIT, { input: { projectId: project, ...SMALL, vcpus: 2, count: 4, minCount: 3 } }));
      expect(submitRequest).toMatchObject({ __typename: 'QuotaExceededError', limit: 'vcpus', requested: 6, allowed: 4 });
    });

    it('a project without an allocation gets a QuotaExceededError with allowed 0', async () => {
      const project = await newProject('no-allocation');
      const { submitRequest } = await withoutChanges(() => ok(t.admin, SUBMIT, { input: { projectId: project, ...SMALL } }));
      expect(submitRequest).toMatchObject({ __typename: 'QuotaExceededError', limit: 'vcpus', requested: 1, allowed: 0 });
    });

    it('an image no allowed site offers is an InvalidRequestError on image', async () => {
      const project = await newProject('wrong-site', { vcpus: 16, memoryMiB: 65536 });
      const { submitRequest } = await withoutChanges(() =>
        ok(t.admin, SUBMIT, { input: { projectId: project, ...SMALL, image: 'rstudio-4', vcpus: 2, memoryMiB: 2048, sites: ['umich'] } }),
      );
      expect(submitRequest).toMatchObject({ __typename: 'InvalidRequestError', code: 'INVALID_REQUEST', field: 'image' });
      expect(submitRequest.message).toMatch(/umich/);
    });

    it('an instance bigger than any instance type is an InvalidRequestError on vcpus', async () => {
      const project = await newProject('too-big', { vcpus: 1024, memoryMiB: 4_194_304 });
      const { submitRequest } = await withoutChanges(() => ok(t.admin, SUBMIT, { input: { projectId: project, ...SMALL, vcpus: 64 } }));
      expect(submitRequest).toMatchObject({ __typename: 'InvalidRequestError', field: 'vcpus' });
    });

    it('more memory than any type with enough vCPUs is an InvalidRequestError on memoryMiB', async () => {
      const project = await newProject('too-much-memory', { vcpus: 1024, memoryMiB: 4_194_304 });
      const { submitRequest } = await withoutChanges(() => ok(t.admin, SUBMIT, { input: { projectId: project, ...SMALL, vcpus: 2, memoryMiB: 1_000_000 } }));
      expect(submitRequest).toMatchObject({ __typename: 'InvalidRequestError', field: 'memoryMiB' });
    });
  });

  describe('CONFLICT', () => {
    it('createProject with a taken name', async () => {
      const name = unique('taken');
      await createProject(t.admin, { name, institution: MICHIGAN });
      await expectRefused(() => gql(t.admin, CREATE_PROJECT, { input: { name, institution: 'University of Edinburgh' } }), 'CONFLICT', { message: name });
    });

    it('registerSite with a taken name', async () => {
      const input = siteInput();
      const { registerSite } = await ok(t.admin, REGISTER_SITE, { input }); // probed with made-up credentials: its health does not matter here
      expect(registerSite).toMatchObject({ name: input.name, emulated: false });
      await expectRefused(() => gql(t.admin, REGISTER_SITE, { input: siteInput({ name: input.name }) }), 'CONFLICT', { message: input.name });
      await expectRefused(() => gql(t.admin, REGISTER_SITE, { input: siteInput({ name: 'umich' }) }), 'CONFLICT', { message: 'umich' });
    });
  });

  describe('NOT_FOUND', () => {
    it('grantAllocation for a project that does not exist', async () => {
      await expectRefused(() => gql(t.admin, GRANT, { input: { projectId: randomUUID(), vcpus: 4, memoryMiB: 8192 } }), 'NOT_FOUND');
      await expectRefused(() => gql(t.admin, GRANT, { input: { projectId: 'not-a-uuid', vcpus: 4, memoryMiB: 8192 } }), 'NOT_FOUND');
    });

    it('submitRequest and planRequest for a project that does not exist', async () => {
      await expectRefused(() => gql(t.admin, SUBMIT, { input: { projectId: randomUUID(), ...SMALL } }), 'NOT_FOUND');
      await expectRefused(() => gql(t.admin, PLAN, { input: { projectId: randomUUID(), ...SMALL } }), 'NOT_FOUND');
    });

    it('createServiceAccount for a project that does not exist', async () => {
      await expectRefused(() => gql(t.admin, CREATE_TOKEN, { input: { name: 'job', role: 'RESEARCHER', projectId: randomUUID() } }), 'NOT_FOUND');
      await expectRefused(() => gql(t.admin, CREATE_TOKEN, { input: { name: 'job', role: 'RESEARCHER', projectId: 'not-a-uuid' } }), 'NOT_FOUND');
    });

    it('cancelRequest of a request that does not exist', async () => {
      const id = randomUUID();
      await expectRefused(() => gql(t.admin, CANCEL, { id }), 'NOT_FOUND', { message: id });
      await expectRefused(() => gql(t.admin, CANCEL, { id: 'not-a-uuid' }), 'NOT_FOUND');
    });

    it('resourceRequest and site of an unknown id are null, not errors', async () => {
      expect(await ok(t.admin, REQUEST, { id: randomUUID() })).toEqual({ resourceRequest: null });
      expect(await ok(t.admin, REQUEST, { id: 'not-a-uuid' })).toEqual({ resourceRequest: null });
      expect(await ok(t.admin, `query($id: ID!) { site(id: $id) { id } }`, { id: randomUUID() })).toEqual({ site: null });
    });
  });

  describe('ids and cursors that are not ids', () => {
    const BAD = 'not-a-uuid';
    const input = (fields: string) => `{ ${fields} }`;
    // every ID argument and ID input field of the schema, with a call that gives it BAD
    const cases: Record<string, string> = {
      'Query.auditEvents(after:)': `{ auditEvents(after: "${BAD}") { id } }`,
      'Query.resourceRequest(id:)': `{ resourceRequest(id: "${BAD}") { id } }`,
      'Query.resourceRequests(after:)': `{ resourceRequests(after: "${BAD}") { id } }`,
      'Query.resourceRequests(projectId:)': `{ resourceRequests(projectId: "${BAD}") { id } }`,
      'Query.site(id:)': `{ site(id: "${BAD}") { id } }`,
      'Project.requests(after:)': `{ projects { requests(after: "${BAD}") { id } } }`,
      'Query.workerPool(id:)': `{ workerPool(id: "${BAD}") { id } }`,
      'Query.workerPools(projectId:)': `{ workerPools(projectId: "${BAD}") { id } }`,
      'Query.usageReport(projectId:)': `{ usageReport(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", groupBy: [], projectId: "${BAD}") { coreHours } }`,
      'Query.webhooks(projectId:)': `{ webhooks(projectId: "${BAD}") { id } }`,
      'Mutation.deleteWebhook(id:)': `mutation { deleteWebhook(id: "${BAD}") { id } }`,
      'Mutation.setWebhookKinds(id:)': `mutation { setWebhookKinds(id: "${BAD}", kinds: [SITE_DOWN]) { id } }`,
      'RegisterWebhookInput.projectId': `mutation { registerWebhook(input: ${input(`projectId: "${BAD}", url: "http://127.0.0.1:9/hook"`)}) { secret } }`,
      'Mutation.addRequestNote(requestId:)': `mutation { addRequestNote(requestId: "${BAD}", note: "x") { kind } }`,
      'Mutation.cancelRequest(id:)': `mutation { cancelRequest(id: "${BAD}") { id } }`,
      'Mutation.deleteWorkerPool(id:)': `mutation { deleteWorkerPool(id: "${BAD}") { id } }`,
      'Mutation.setWorkerPoolSize(id:)': `mutation { setWorkerPoolSize(id: "${BAD}", desiredSize: 1) { id } }`,
      'Mutation.drainSite(id:)': `mutation { drainSite(id: "${BAD}") { id } }`,
      'Mutation.extendLease(id:)': `mutation { extendLease(id: "${BAD}", hours: 1) { id } }`,
      'Mutation.removeProjectMember(projectId:)': `mutation { removeProjectMember(projectId: "${BAD}", userId: "${randomUUID()}") }`,
      'Mutation.removeProjectMember(userId:)': `mutation { removeProjectMember(projectId: "PROJECT", userId: "${BAD}") }`,
      'Mutation.removeSite(id:)': `mutation { removeSite(id: "${BAD}") { id } }`,
      'Mutation.restoreSite(id:)': `mutation { restoreSite(id: "${BAD}") { id } }`,
      'Mutation.resumeSite(id:)': `mutation { resumeSite(id: "${BAD}") { id } }`,
      'Mutation.revokeAllocation(id:)': `mutation { revokeAllocation(id: "${BAD}") { id } }`,
      'Mutation.revokeApiToken(id:)': `mutation { revokeApiToken(id: "${BAD}") { id } }`,
      'Mutation.setProjectPriorityFactor(projectId:)': `mutation { setProjectPriorityFactor(projectId: "${BAD}", priorityFactor: 1) { id } }`,
      'Subscription.requestUpdated(id:)': '', // over the WebSocket: see request-events.test.ts
      'AddProjectMemberInput.projectId': `mutation { addProjectMember(input: ${input(`projectId: "${BAD}", userId: "${randomUUID()}", role: RESEARCHER`)}) { role } }`,
      'AddProjectMemberInput.userId': `mutation { addProjectMember(input: ${input(`projectId: "PROJECT", userId: "${BAD}", role: RESEARCHER`)}) { role } }`,
      'CreateApiTokenInput.projectId': `mutation { createApiToken(input: ${input(`name: "x", projectId: "${BAD}"`)}) { token } }`,
      'CreateWorkerPoolInput.projectId': `mutation { createWorkerPool(input: ${input(`projectId: "${BAD}", name: "x", image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024, leaseHours: 1, maxSize: 1`)}) { id } }`,
      'CreateServiceAccountInput.projectId': `mutation { createServiceAccount(input: ${input(`name: "x", role: RESEARCHER, projectId: "${BAD}"`)}) { token } }`,
      'GrantAllocationInput.projectId': `mutation { grantAllocation(input: ${input(`projectId: "${BAD}", vcpus: 1, memoryMiB: 1024`)}) { id } }`,
      'SubmitRequestInput.projectId': `mutation { submitRequest(input: ${input(`projectId: "${BAD}", image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024, leaseHours: 1`)}) { __typename } }`,
      'UpdateAllocationInput.id': `mutation { updateAllocation(input: ${input(`id: "${BAD}", vcpus: 2`)}) { id } }`,
      'UpdateSiteInput.id': `mutation { updateSite(input: ${input(`id: "${BAD}", region: "x"`)}) { id } }`,
    };

    it('the cases cover every ID argument and ID input field of the schema', () => {
      const schema = buildSchema(readFileSync('schema.graphql', 'utf8'));
      const coordinates: string[] = [];
      for (const type of Object.values(schema.getTypeMap())) {
        if (type.name.startsWith('__')) continue;
        if (isObjectType(type)) {
          for (const field of Object.values(type.getFields())) {
            for (const arg of field.args) if (getNamedType(arg.type).name === 'ID') coordinates.push(`${type.name}.${field.name}(${arg.name}:)`);
          }
        }
        if (isInputObjectType(type)) {
          for (const field of Object.values(type.getFields())) if (getNamedType(field.type).name === 'ID') coordinates.push(`${type.name}.${field.name}`);
        }
      }
      expect(Object.keys(cases).sort()).toEqual(coordinates.sort());
    });

    it('none of them is an internal error: each is NOT_FOUND, BAD_USER_INPUT naming it, FORBIDDEN or null', async () => {
      const project = await newProject('bad-ids');
      const wrong: string[] = [];
      for (const [coordinate, query] of Object.entries(cases)) {
        if (!query) continue;
        const error = (await t.admin.request(query.replace('PROJECT', project))).errors?.[0];
        const named = coordinate.match(/(\w+)(?::\))?$/)![1];
        const fine = !error || ['NOT_FOUND', 'FORBIDDEN'].includes(error.extensions?.code ?? '') || (error.extensions?.code === 'BAD_USER_INPUT' && error.extensions.field === named);
        if (!fine) wrong.push(`${coordinate}: ${error.extensions?.code} ${error.message}`);
      }
      expect(wrong).toEqual([]);
    });

    it.each([
      ['auditEvents', `{ auditEvents(after: "CURSOR") { id } }`],
      ['resourceRequests', `{ resourceRequests(after: "CURSOR") { id } }`],
      ['Project.requests', `{ projects { requests(after: "CURSOR") { id } } }`],
    ])('%s(after:) that is not an id of the list is BAD_USER_INPUT naming after', async (_what, query) => {
      for (const cursor of [BAD, randomUUID()]) {
        const res = await gql(t.admin, query.replace('CURSOR', cursor));
        expectError(res, 'BAD_USER_INPUT', { field: 'after' });
      }
    });
  });

  describe('idempotency', () => {
    it('the same key from the same principal returns the same request', async () => {
      const project = await newProject('idem', { vcpus: 16, memoryMiB: 65536 });
      const input = { projectId: project, ...SMALL, idempotencyKey: unique('key') };
      const first = await submitted(t.admin, input);
      const second = await withoutChanges(() => submitted(t.admin, input));
      expect(second).toBe(first);
    });

    it('the same key from another principal is another request', async () => {
      const project = await newProject('idem-other', { vcpus: 16, memoryMiB: 65536 });
      const { createServiceAccount } = await ok(t.admin, CREATE_TOKEN, {
        input: { name: 'idempotent job', role: 'RESEARCHER', projectId: project },
      });
      const input = { projectId: project, ...SMALL, idempotencyKey: unique('key') };
      const byAdmin = await submitted(t.admin, input);
      const byJob = await submitted(t.admin.withToken(createServiceAccount.token), input);
      expect(byJob).not.toBe(byAdmin);
    });

    it('10 concurrent submissions with one key create exactly one request', async () => {
      const project = await newProject('idem-race', { vcpus: 16, memoryMiB: 65536 });
      const input = { projectId: project, ...SMALL, idempotencyKey: unique('key') };
      const ids = await Promise.all(Array.from({ length: 10 }, () => submitted(t.admin, input)));
      expect(new Set(ids).size).toBe(1);
      const { resourceRequests } = await ok(t.admin, REQUESTS, { projectId: project });
      expect(resourceRequests.map((r: Data) => r.id)).toEqual([ids[0]]);
    });
  });

  describe('planRequest', () => {
    it('a fitting request is feasible, with candidates in rank order, and submits nothing', async () => {
      const project = await newProject('plan-fits', { vcpus: 16, memoryMiB: 65536 });
      const { planRequest } = await withoutChanges(() => ok(t.admin, PLAN, { input: { projectId: project, image: 'rocky-9', vcpus: 2, memoryMiB: 2048, leaseHours: 3 } }));
      expect(planRequest.feasible).toBe(true);
      expect(planRequest.reason).toBeNull();
      const candidates = planRequest.candidates as { rank: number; instanceType: string; site: { name: string } }[];
      expect(candidates.length).toBeGreaterThan(0);
      expect(candidates.map((c) => c.rank)).toEqual(candidates.map((_, i) => i + 1));
      // rocky-9 is at umich and edinburgh only; the smallest fitting types there
      expect(candidates.map((c) => `${c.site.name}/${c.instanceType}`).sort()).toEqual(['edinburgh/standard.small', 'umich/m1.medium']);
      expect(planRequest.estimatedCoreHours).toBe(6);
    });

    it('an impossible request is not feasible, with a reason', async () => {
      const project = await newProject('plan-impossible', { vcpus: 1024, memoryMiB: 4_194_304 });
      const { planRequest } = await withoutChanges(() => ok(t.admin, PLAN, { input: { projectId: project, ...SMALL, vcpus: 64 } }));
      expect(planRequest).toMatchObject({ feasible: false, candidates: [] });
      expect(planRequest.reason).toMatch(/64 vCPUs/);
    });

    it('a request beyond the allocation is not feasible, with a reason', async () => {
      const project = await newProject('plan-quota');
      const { planRequest } = await withoutChanges(() => ok(t.admin, PLAN, { input: { projectId: project, ...SMALL } }));
      expect(planRequest).toMatchObject({ feasible: false, candidates: [] });
      expect(planRequest.reason).toMatch(/no allocation in force/);
    });
  });

  describe('no internals leave the server', () => {
    it('errors of every kind carry a code and a message, and no stack trace or file path', async () => {
      const project = await newProject('leaks', { vcpus: 16, memoryMiB: 65536 });
      const responses = [
        await rawGql({ authorization: 'Bearer nope' }, `{ projects { id } }`),
        await gql(t.admin, SUBMIT, { input: { projectId: project, ...SMALL, vcpus: -2 } }),
        await gql(t.admin, CANCEL, { id: randomUUID() }),
        await gql(t.admin, REGISTER_SITE, { input: siteInput({ name: 'umich' }) }),
        await gql(t.admin, `{ projects { id `),
        await gql(t.admin, SUBMIT, { input: { projectId: project, vcpus: 'two' } }),
      ];
      for (const res of responses) {
        expect(res.errors?.length).toBeGreaterThan(0);
        for (const error of res.errors!) {
          expect(typeof error.extensions?.code).toBe('string');
          expect(error.message.length).toBeGreaterThan(0);
          expect(error.extensions).not.toHaveProperty('stacktrace');
          expect(error.message).not.toContain('    at ');
          expect(error.message).not.toMatch(FILE_PATH);
        }
      }
    });
  });

  describe('HTTP endpoints', () => {
    it('GET /healthz answers 200 with status ok', async () => {
      const res = await fetch(`${t.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
    });

    it('GET /metrics answers Prometheus text with the allocator cycle histogram', async () => {
      const res = await fetch(`${t.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      expect(text).toContain('# TYPE skypool_allocator_cycle_seconds histogram');
      expect(text).toContain('skypool_allocator_cycle_seconds_count');
    });
  });
});
