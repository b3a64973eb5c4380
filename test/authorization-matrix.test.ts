import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'graphql-ws';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { User } from '../src/identity/entities/user.entity.js';
import { OperationCatalog, problemsOf } from '../src/identity/permissions/operation-catalog.js';
import { ScopeLookups } from '../src/identity/permissions/scope-lookups.js';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { grantAllocation, projectWithAllocation, registerSite, submitRequest } from './helpers/fixtures.js';
import type { GraphqlClient, GraphqlResponse } from './helpers/graphql-client.js';
import { databaseKind } from './helpers/test-database.js';

/**
 * Every query, mutation and subscription, as each role and anonymously, against one table of allow/deny
 * (a logged-in person's own powers, such as createApiToken, are in oidc-login and api-tokens).
 * Project A belongs to University of Michigan (the site admin's institution), project B to
 * Edinburgh. The researcher and the manager are members of A only. Every caller here but the
 * anonymous one is a service account, and service accounts make no tokens and change no members
 * whatever their role: people and the bootstrap admin do (see api-tokens and members).
 */
type Who = 'anonymous' | 'researcher' | 'manager' | 'siteAdmin' | 'federationAdmin';
const WHO: Who[] = ['anonymous', 'researcher', 'manager', 'siteAdmin', 'federationAdmin'];
const Y = true;
const N = false;

interface Fixture {
  t: TestBroker;
  as: Record<Who, GraphqlClient>;
  projectA: string;
  projectB: string;
  userId: string;
  requestOf(projectId: string, by: GraphqlClient): Promise<string>;
  /** a RUNNING request of the project, submitted by `by` (made once, before the cells run) */
  running: { A: Record<Exclude<Who, 'anonymous'>, string>; B: string };
  /** the id of a new service account made by the bootstrap admin */
  adminsToken(): Promise<string>;
  /** the id of a new site of the institution, registered by the bootstrap admin */
  siteOf(institution: string): Promise<string>;
  /** the id of a new allocation of the project, granted by the bootstrap admin */
  allocationOf(projectId: string): Promise<string>;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;
const siteInput = (name: string, institution: string, endpoint: string) =>
  `{ name: "${name}", institution: "${institution}", endpoint: "${endpoint}", region: "r1", accessKeyId: "AK", secretAccessKey: "SK",
     capacity: { vcpus: 8, memoryMiB: 8192 }, instanceTypes: [{ name: "t1", vcpus: 2, memoryMiB: 4096 }], images: [{ image: "ubuntu-22.04", imageId: "ami-1" }] }`;
const submit = (p: string) => `mutation { submitRequest(input: { projectId: "${p}", image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024, leaseHours: 1 }) { __typename ... on ResourceRequest { id } } }`;

const EXTEND = 'mutation($id: ID!) { extendLease(id: $id, hours: 0.5) { leaseEndsAt } }';
const NOTE = 'mutation($id: ID!) { addRequestNote(requestId: $id, note: "resumed") { kind } }';
/** A worker pool of the project with nothing to run (desiredSize 0), made by the federation admin. */
const POOL = (p: string) => `mutation { createWorkerPool(input: { projectId: "${p}", name: "${unique('pool')}", image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024, leaseHours: 1, maxSize: 2 }) { id } }`;
/** A new webhook of the project, registered by the bootstrap admin. */
const webhookOf = async (f: Fixture, projectId: string): Promise<string> =>
  (await f.t.admin.data('mutation($p: ID!) { registerWebhook(input: { projectId: $p, url: "http://127.0.0.1:9/hook" }) { webhook { id } } }', { p: projectId })).registerWebhook.webhook.id;
const poolOf = async (f: Fixture, projectId: string) => (await f.as.federationAdmin.data<{ createWorkerPool: { id: string } }>(POOL(projectId))).createWorkerPool.id;

/**
 * requestUpdated over graphql-ws, as the client's token, until its first message: the same shape
 * as an HTTP answer. A socket without credentials is closed at once with 4401 (UNAUTHENTICATED).
 */
function firstUpdate(c: GraphqlClient, id: string): Promise<GraphqlResponse<unknown>> {
  const client = createClient({
    url: `${c.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: c.token ? { Authorization: `Bearer ${c.token}` } : undefined,
    retryAttempts: 0,
    lazy: true,
  });
  return new Promise<GraphqlResponse<unknown>>((resolve) => {
    const stop = client.subscribe(
      { query: 'subscription($id: ID!) { requestUpdated(id: $id) { id } }', variables: { id } },
      {
        next: (result) => {
          resolve({ status: 200, ...(result as Omit<GraphqlResponse<unknown>, 'status'>) });
          stop();
        },
        error: (error) => {
          const closed = (error as { code?: number }).code;
          resolve({ status: 0, errors: [{ message: String(closed), extensions: { code: closed === 4401 ? 'UNAUTHENTICATED' : closed === 4403 ? 'FORBIDDEN' : String(closed) } }] });
        },
        complete: () => resolve({ status: 200, errors: [{ message: 'completed before any message' }] }),
      },
    );
  }).finally(() => client.dispose());
}

/** A new site of the institution, removed by the bootstrap admin. */
async function removedSiteOf(f: Fixture, institution: string): Promise<string> {
  const id = await f.siteOf(institution);
  await f.as.federationAdmin.data('mutation($id: ID!) { removeSite(id: $id) { id } }', { id });
  return id;
}

/** [operation, allowed for anonymous, researcher, manager, siteAdmin, federationAdmin, the call] */
const MATRIX: [string, boolean[], (f: Fixture, c: GraphqlClient, who: Who) => Promise<GraphqlResponse<unknown>>][] = [
  ['query sites', [N, Y, Y, Y, Y], (_f, c) => c.request('{ sites { id } }')],
  ['query site', [N, Y, Y, Y, Y], (_f, c) => c.request('query($id: ID!) { site(id: $id) { id } }', { id: '00000000-0000-0000-0000-000000000000' })],
  ['query projects', [N, Y, Y, Y, Y], (_f, c) => c.request('{ projects { id } }')],
  ['query me', [N, Y, Y, Y, Y], (_f, c) => c.request('{ me { id } }')],
  ['query auditEvents', [N, N, N, N, Y], (_f, c) => c.request('{ auditEvents { id } }')],
  ['query resourceRequests of A', [N, Y, Y, Y, Y], (f, c) => c.request('query($p: ID) { resourceRequests(projectId: $p) { id } }', { p: f.projectA })],
  ['query resourceRequests of B', [N, N, N, N, Y], (f, c) => c.request('query($p: ID) { resourceRequests(projectId: $p) { id } }', { p: f.projectB })],
  ['query resourceRequest in A', [N, Y, Y, Y, Y], async (f, c) => c.request('query($id: ID!) { resourceRequest(id: $id) { id } }', { id: await f.requestOf(f.projectA, f.as.federationAdmin) })],
  ['query resourceRequest in B', [N, N, N, N, Y], async (f, c) => c.request('query($id: ID!) { resourceRequest(id: $id) { id } }', { id: await f.requestOf(f.projectB, f.as.federationAdmin) })],
  ['query planRequest in A', [N, Y, Y, Y, Y], (f, c) => c.request(`{ planRequest(input: { projectId: "${f.projectA}", image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024, leaseHours: 1 }) { feasible } }`)],
  ['query planRequest in B', [N, N, N, N, Y], (f, c) => c.request(`{ planRequest(input: { projectId: "${f.projectB}", image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024, leaseHours: 1 }) { feasible } }`)],
  ['registerSite of University of Michigan', [N, N, N, Y, Y], (f, c) => c.request(`mutation { registerSite(input: ${siteInput(unique('um'), 'University of Michigan', `${f.t.url}/emulator/umich`)}) { id } }`)],
  ['registerSite of Edinburgh', [N, N, N, N, Y], (f, c) => c.request(`mutation { registerSite(input: ${siteInput(unique('ed'), 'Edinburgh', `${f.t.url}/emulator/umich`)}) { id } }`)],
  ['updateSite of University of Michigan', [N, N, N, Y, Y], async (f, c) => c.request('mutation($id: ID!) { updateSite(input: { id: $id, homeShare: 0.1 }) { id } }', { id: await f.siteOf('University of Michigan') })],
  ['updateSite of Edinburgh', [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { updateSite(input: { id: $id, homeShare: 0.1 }) { id } }', { id: await f.siteOf('Edinburgh') })],
  ['drainSite of University of Michigan', [N, N, N, Y, Y], async (f, c) => c.request('mutation($id: ID!) { drainSite(id: $id) { id } }', { id: await f.siteOf('University of Michigan') })],
  ['drainSite of Edinburgh', [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { drainSite(id: $id) { id } }', { id: await f.siteOf('Edinburgh') })],
  ['resumeSite of University of Michigan', [N, N, N, Y, Y], async (f, c) => c.request('mutation($id: ID!) { resumeSite(id: $id) { id } }', { id: await f.siteOf('University of Michigan') })],
  ['removeSite of University of Michigan', [N, N, N, Y, Y], async (f, c) => c.request('mutation($id: ID!) { removeSite(id: $id) { id } }', { id: await f.siteOf('University of Michigan') })],
  ['removeSite of Edinburgh', [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { removeSite(id: $id) { id } }', { id: await f.siteOf('Edinburgh') })],
  ['restoreSite of University of Michigan', [N, N, N, Y, Y], async (f, c) => c.request('mutation($id: ID!) { restoreSite(id: $id) { id } }', { id: await removedSiteOf(f, 'University of Michigan') })],
  ['restoreSite of Edinburgh', [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { restoreSite(id: $id) { id } }', { id: await removedSiteOf(f, 'Edinburgh') })],
  ['applySites of University of Michigan', [N, N, N, Y, Y], (f, c) => c.request(`mutation { applySites(input: { dryRun: true, sites: [${siteInput(unique('um'), 'University of Michigan', `${f.t.url}/emulator/umich`)}] }) { dryRun } }`)],
  ['applySites of Edinburgh', [N, N, N, N, Y], (f, c) => c.request(`mutation { applySites(input: { dryRun: true, sites: [${siteInput(unique('ed'), 'Edinburgh', `${f.t.url}/emulator/umich`)}] }) { dryRun } }`)],
  ['createProject at University of Michigan', [N, N, N, Y, Y], (_f, c) => c.request(`mutation { createProject(input: { name: "${unique('p')}", institution: "University of Michigan" }) { id } }`)],
  ['createProject at Edinburgh', [N, N, N, N, Y], (_f, c) => c.request(`mutation { createProject(input: { name: "${unique('p')}", institution: "Edinburgh" }) { id } }`)],
  ['grantAllocation to A', [N, N, N, Y, Y], (f, c) => c.request(`mutation { grantAllocation(input: { projectId: "${f.projectA}", vcpus: 1, memoryMiB: 1 }) { id } }`)],
  ['grantAllocation to B', [N, N, N, N, Y], (f, c) => c.request(`mutation { grantAllocation(input: { projectId: "${f.projectB}", vcpus: 1, memoryMiB: 1 }) { id } }`)],
  ['updateAllocation of A', [N, N, N, Y, Y], async (f, c) => c.request('mutation($id: ID!) { updateAllocation(input: { id: $id, vcpus: 2 }) { id } }', { id: await f.allocationOf(f.projectA) })],
  ['updateAllocation of B', [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { updateAllocation(input: { id: $id, vcpus: 2 }) { id } }', { id: await f.allocationOf(f.projectB) })],
  ['revokeAllocation of A', [N, N, N, Y, Y], async (f, c) => c.request('mutation($id: ID!) { revokeAllocation(id: $id) { id } }', { id: await f.allocationOf(f.projectA) })],
  ['revokeAllocation of B', [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { revokeAllocation(id: $id) { id } }', { id: await f.allocationOf(f.projectB) })],
  ['setProjectPriorityFactor of A', [N, N, N, N, Y], (f, c) => c.request(`mutation { setProjectPriorityFactor(projectId: "${f.projectA}", priorityFactor: 1) { id } }`)],
  ['query allocatorStatus', [N, Y, Y, Y, Y], (_f, c) => c.request('{ allocatorStatus { cycles } }')],
  ['mutation registerWebhook of A', [N, N, Y, Y, Y], (f, c) => c.request(`mutation { registerWebhook(input: { projectId: "${f.projectA}", url: "http://127.0.0.1:9/hook" }) { secret } }`)],
  ['mutation registerWebhook of B', [N, N, N, N, Y], (f, c) => c.request(`mutation { registerWebhook(input: { projectId: "${f.projectB}", url: "http://127.0.0.1:9/hook" }) { secret } }`)],
  ["mutation registerWebhook of the site admin's institution", [N, N, N, Y, Y], (_f, c) => c.request('mutation { registerWebhook(input: { institution: "University of Michigan", url: "http://127.0.0.1:9/hook" }) { secret } }')],
  ['query webhooks of A', [N, N, Y, Y, Y], (f, c) => c.request('query($p: ID) { webhooks(projectId: $p) { id } }', { p: f.projectA })],
  ['mutation setWebhookKinds of A', [N, N, Y, Y, Y], async (f, c) => c.request('mutation($id: ID!) { setWebhookKinds(id: $id, kinds: [SITE_DOWN]) { id } }', { id: await webhookOf(f, f.projectA) })],
  ['mutation deleteWebhook of A', [N, N, Y, Y, Y], async (f, c) => c.request('mutation($id: ID!) { deleteWebhook(id: $id) { id } }', { id: await webhookOf(f, f.projectA) })],
  ['query notifications', [N, Y, Y, Y, Y], (_f, c) => c.request('{ notifications { id } }')],
  // e-mail digests are a person's: service accounts have none (see notifications-email)
  ['query notificationPreferences', [N, N, N, N, N], (_f, c) => c.request('{ notificationPreferences { kind } }')],
  ['mutation setNotificationPreference', [N, N, N, N, N], (_f, c) => c.request('mutation { setNotificationPreference(kind: LEASE_ENDING, email: false) { kind } }')],
  ['query usageReport of A', [N, Y, Y, Y, Y], (f, c) => c.request(`{ usageReport(from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", groupBy: [PROJECT], projectId: "${f.projectA}") { coreHours } }`)],
  // a site admin sees any project's usage of their institution's sites
  ['query usageReport of B', [N, N, N, Y, Y], (f, c) => c.request(`{ usageReport(from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", groupBy: [PROJECT], projectId: "${f.projectB}") { coreHours } }`)],
  ['query federationBalance', [N, Y, Y, Y, Y], (_f, c) => c.request('{ federationBalance(from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z") { institution } }')],
  ['query usage of A (a project field)', [N, Y, Y, Y, Y], (f, c) => c.request(`{ projects { id usage { coreHoursUsed } } }`)],
  ['createWorkerPool in A', [N, Y, Y, Y, Y], (f, c) => c.request(POOL(f.projectA))],
  ['createWorkerPool in B', [N, N, N, N, Y], (f, c) => c.request(POOL(f.projectB))],
  ['setWorkerPoolSize in A', [N, Y, Y, Y, Y], async (f, c) => c.request('mutation($id: ID!) { setWorkerPoolSize(id: $id, desiredSize: 0) { id } }', { id: await poolOf(f, f.projectA) })],
  ['setWorkerPoolSize in B', [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { setWorkerPoolSize(id: $id, desiredSize: 0) { id } }', { id: await poolOf(f, f.projectB) })],
  ['deleteWorkerPool in A', [N, Y, Y, Y, Y], async (f, c) => c.request('mutation($id: ID!) { deleteWorkerPool(id: $id) { id } }', { id: await poolOf(f, f.projectA) })],
  ['deleteWorkerPool in B', [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { deleteWorkerPool(id: $id) { id } }', { id: await poolOf(f, f.projectB) })],
  ['query workerPool in A', [N, Y, Y, Y, Y], async (f, c) => c.request('query($id: ID!) { workerPool(id: $id) { id } }', { id: await poolOf(f, f.projectA) })],
  ['query workerPool in B', [N, N, N, N, Y], async (f, c) => c.request('query($id: ID!) { workerPool(id: $id) { id } }', { id: await poolOf(f, f.projectB) })],
  ['query workerPools of A', [N, Y, Y, Y, Y], (f, c) => c.request('query($p: ID) { workerPools(projectId: $p) { id } }', { p: f.projectA })],
  ['query workerPools of B', [N, N, N, N, Y], (f, c) => c.request('query($p: ID) { workerPools(projectId: $p) { id } }', { p: f.projectB })],
  ['submitRequest in A', [N, Y, Y, Y, Y], (f, c) => c.request(submit(f.projectA))],
  ['submitRequest in B', [N, N, N, N, Y], (f, c) => c.request(submit(f.projectB))],
  ['cancelRequest of their own in A', [N, Y, Y, Y, Y], async (f, c, who) => c.request('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: await f.requestOf(f.projectA, who === 'anonymous' ? f.as.federationAdmin : c) })],
  ['extendLease of their own in A', [N, Y, Y, Y, Y], (f, c, who) => c.request(EXTEND, { id: f.running.A[who === 'anonymous' ? 'federationAdmin' : who] })],
  ["extendLease of another's in A", [N, N, Y, Y, Y], (f, c) => c.request(EXTEND, { id: f.running.A.federationAdmin })],
  ['extendLease in B', [N, N, N, N, Y], (f, c) => c.request(EXTEND, { id: f.running.B })],
  ["cancelRequest of another's in A", [N, N, Y, Y, Y], async (f, c) => c.request('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: await f.requestOf(f.projectA, f.as.federationAdmin) })],
  ['addRequestNote in A', [N, Y, Y, Y, Y], async (f, c) => c.request(NOTE, { id: await f.requestOf(f.projectA, f.as.federationAdmin) })],
  ['addRequestNote in B', [N, N, N, N, Y], async (f, c) => c.request(NOTE, { id: await f.requestOf(f.projectB, f.as.federationAdmin) })],
  ['cancelRequest in B', [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: await f.requestOf(f.projectB, f.as.federationAdmin) })],
  ['createServiceAccount RESEARCHER for A', [N, N, N, N, N], (f, c) => c.request(`mutation { createServiceAccount(input: { name: "sa", role: RESEARCHER, projectId: "${f.projectA}" }) { token } }`)],
  ['createServiceAccount FEDERATION_ADMIN', [N, N, N, N, N], (_f, c) => c.request(`mutation { createServiceAccount(input: { name: "sa", role: FEDERATION_ADMIN }) { token } }`)],
  ['query apiTokens', [N, Y, Y, Y, Y], (_f, c) => c.request('{ apiTokens { id } }')],
  ['createApiToken (a logged-in person only)', [N, N, N, N, N], (_f, c) => c.request('mutation { createApiToken(input: { name: "mine" }) { token } }')],
  ["revokeApiToken of the admin's service account", [N, N, N, N, Y], async (f, c) => c.request('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: await f.adminsToken() })],
  ['addProjectMember to A', [N, N, N, N, N], (f, c) => c.request(`mutation { addProjectMember(input: { projectId: "${f.projectA}", userId: "${f.userId}", role: RESEARCHER }) { role } }`)],
  ['addProjectMember to B', [N, N, N, N, N], (f, c) => c.request(`mutation { addProjectMember(input: { projectId: "${f.projectB}", userId: "${f.userId}", role: RESEARCHER }) { role } }`)],
  ['subscription requestUpdated in A', [N, Y, Y, Y, Y], async (f, c) => firstUpdate(c, await f.requestOf(f.projectA, f.as.federationAdmin))],
  ['subscription requestUpdated in B', [N, N, N, N, Y], async (f, c) => firstUpdate(c, await f.requestOf(f.projectB, f.as.federationAdmin))],
  ['removeProjectMember from A', [N, N, N, N, N], (f, c) => c.request(`mutation { removeProjectMember(projectId: "${f.projectA}", userId: "${f.userId}") }`)],
];

describe(`authorization matrix on the ${databaseKind} database`, () => {
  const f = {} as Fixture;

  beforeAll(async () => {
    f.t = await startTestBroker();
    const admin = f.t.admin;
    const project = (name: string, institution: string) => projectWithAllocation(admin, { name, institution }, { vcpus: 1000, memoryMiB: 10000000 });
    f.projectA = await project('matrix-a', 'University of Michigan');
    f.projectB = await project('matrix-b', 'Edinburgh');
    const token = async (input: string) => (await admin.data(`mutation { createServiceAccount(input: ${input}) { token } }`)).createServiceAccount.token as string;
    f.as = {
      anonymous: f.t.anonymous,
      researcher: f.t.anonymous.withToken(await token(`{ name: "researcher", role: RESEARCHER, projectId: "${f.projectA}" }`)),
      manager: f.t.anonymous.withToken(await token(`{ name: "manager", role: PROJECT_MANAGER, projectId: "${f.projectA}" }`)),
      siteAdmin: f.t.anonymous.withToken(await token(`{ name: "site admin", role: SITE_ADMIN, institution: "University of Michigan" }`)),
      federationAdmin: f.t.anonymous.withToken(await token(`{ name: "federation admin", role: FEDERATION_ADMIN }`)),
    };
    f.userId = (await f.t.broker.app.get(DataSource).getRepository(User).save({ issuer: 'https://idp.example.edu', subject: 'member', email: 'member@example.edu' })).id;
    f.requestOf = (projectId, by) => submitRequest(by, { projectId, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 1024, leaseHours: 1 });
    // only a running request's lease can be extended: start them all at once and wait
    const [researcher, manager, siteAdmin, federationAdmin, inB] = await Promise.all([
      f.requestOf(f.projectA, f.as.researcher),
      f.requestOf(f.projectA, f.as.manager),
      f.requestOf(f.projectA, f.as.siteAdmin),
      f.requestOf(f.projectA, f.as.federationAdmin),
      f.requestOf(f.projectB, f.as.federationAdmin),
    ]);
    f.running = { A: { researcher, manager, siteAdmin, federationAdmin }, B: inB };
    for (const id of [researcher, manager, siteAdmin, federationAdmin, inB]) {
      await eventually(async () => ((await admin.data('query($id: ID!) { resourceRequest(id: $id) { state } }', { id })).resourceRequest.state === 'RUNNING' ? true : undefined), `request ${id} running`, 60_000);
    }
    f.adminsToken = async () => {
      await admin.data(`mutation { createServiceAccount(input: { name: "${unique('bot')}", role: RESEARCHER, projectId: "${f.projectB}" }) { token } }`);
      return (await admin.data('{ apiTokens { id } }')).apiTokens[0].id;
    };
    f.allocationOf = (projectId) => grantAllocation(admin, projectId, { vcpus: 1, memoryMiB: 1 });
    f.siteOf = (institution) =>
      registerSite(admin, {
        name: unique('s'), institution, endpoint: `${f.t.url}/emulator/umich`, region: 'r1', accessKeyId: 'AK', secretAccessKey: 'SK',
        capacity: { vcpus: 8, memoryMiB: 8192 }, instanceTypes: [{ name: 't1', vcpus: 2, memoryMiB: 4096 }], images: [{ image: 'ubuntu-22.04', imageId: 'ami-1' }],
      });
  }, 120_000);
  afterAll(() => f.t?.stop());

  const cells = MATRIX.flatMap(([operation, allowed, call]) => WHO.map((who, i) => [operation, who, allowed[i]!, call] as const));
  it.each(cells)('%s as %s: allowed %s', async (_operation, who, allowed, call) => {
    const res = await call(f, f.as[who], who);
    const code = res.errors?.[0]?.extensions?.code;
    if (allowed) {
      expect(res.errors).toBeUndefined();
      expect(res.data).toBeTruthy();
    } else {
      expect(code).toBe(who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN');
    }
  });

  /** Every root field of the served schema. */
  async function schemaOperations(): Promise<string[]> {
    const { __schema } = await f.t.admin.data('{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }');
    return [...__schema.queryType.fields, ...__schema.mutationType.fields, ...__schema.subscriptionType.fields].map((x: { name: string }) => x.name);
  }

  it('covers every query, mutation and subscription the schema has', async () => {
    const labels = MATRIX.map(([label]) => label.split(' '));
    expect((await schemaOperations()).filter((name: string) => !labels.some((words) => words.includes(name)))).toEqual([]);
  });

  it('finds an @Allow declaration, sound for its permission, on every operation the schema has', async () => {
    const catalog = f.t.broker.app.get(OperationCatalog);
    const lookups = f.t.broker.app.get(ScopeLookups);
    const declared = new Map(catalog.all().map((op) => [op.name, op]));
    expect((await schemaOperations()).filter((name) => !declared.get(name)?.allow)).toEqual([]);
    expect(catalog.all().flatMap((op) => problemsOf(op, (kind) => lookups.has(kind)))).toEqual([]);
  });

  it('a researcher sees only the projects and requests of their projects', async () => {
    await f.requestOf(f.projectB, f.as.federationAdmin);
    expect((await f.as.researcher.data('{ projects { id } }')).projects).toEqual([{ id: f.projectA }]);
    const { resourceRequests } = await f.as.researcher.data('{ resourceRequests(first: 1000) { project { id } } }');
    expect(resourceRequests.length).toBeGreaterThan(0);
    expect(new Set(resourceRequests.map((r: { project: { id: string } }) => r.project.id))).toEqual(new Set([f.projectA]));
  });

  it('does not tell a caller who is refused the id, name or institution of a project they cannot see', async () => {
    const inB = await f.requestOf(f.projectB, f.as.federationAdmin);
    const allocationInB = await f.allocationOf(f.projectB);
    const refusals = [
      await f.as.researcher.request('query($id: ID!) { resourceRequest(id: $id) { id } }', { id: inB }),
      await f.as.manager.request('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: inB }),
      await f.as.manager.request(EXTEND, { id: f.running.B }),
      await f.as.siteAdmin.request('mutation($id: ID!) { updateAllocation(input: { id: $id, vcpus: 2 }) { id } }', { id: allocationInB }),
      await f.as.siteAdmin.request('mutation($id: ID!) { revokeAllocation(id: $id) { id } }', { id: allocationInB }),
    ];
    for (const res of refusals) {
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.errors?.[0]?.message).not.toMatch(new RegExp(`${f.projectB}|matrix-b|Edinburgh`));
    }
    // what the caller gave may be named back
    const submitted = await f.as.researcher.request(submit(f.projectB));
    expect(submitted.errors?.[0]?.message).toBe('you are not a member of that project');
  });
});
