import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_TOKEN, eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import type { Instance, RequestEvent, ResourceRequest, Site, SubmitRequestInput, Tag, TagInput } from './helpers/generated/graphql.js';
import type { GraphqlClient } from './helpers/graphql-client.js';
import { databaseKind } from './helpers/test-database.js';

type TaggedRequest = Pick<ResourceRequest, 'id' | 'state'> & { tags: Tag[]; instances: (Pick<Instance, 'siteInstanceId'> & { site: Pick<Site, 'name'> })[] };
type NoteEvent = Pick<RequestEvent, 'kind' | 'reason' | 'fromState' | 'toState'>;
/** What the emulator's own listing shows of an instance (GET /emulator/<site>/instances). */
type SiteListing = { instanceId: string; tags: Record<string, string> }[];

const TAGGED = 'id state tags { key value } instances { siteInstanceId site { name } }';
const LIST = `query($tags: [TagInput!], $first: Int, $after: ID) { resourceRequests(tags: $tags, first: $first, after: $after) { id } }`;
const NOTE = 'mutation($id: ID!, $note: String!) { addRequestNote(requestId: $id, note: $note) { kind reason fromState toState } }';

/**
 * Tags a client gives a request (Slurm's ResumeProgram: the cluster and the node), carried onto
 * its instances at the site and used to find the request again; and notes a client adds to a
 * request's history (Slurm keeps no output of its programs).
 */
describe(`request tags and notes on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let projectId: string;
  /** a researcher of the project, as the Slurm program's service account is */
  let researcher: GraphqlClient;
  /** a researcher of another project */
  let outsider: GraphqlClient;

  const token = async (name: string, project: string) =>
    (await t.admin.data<{ createServiceAccount: { token: string } }>('mutation($p: ID!, $n: String!) { createServiceAccount(input: { name: $n, role: RESEARCHER, projectId: $p }) { token } }', { p: project, n: name }))
      .createServiceAccount.token;
  const shape = (tags: TagInput[], more: Partial<SubmitRequestInput> = {}): SubmitRequestInput => ({ projectId, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 1024, leaseHours: 1, tags, ...more });
  const node = (name: string, cluster = 'hpc'): TagInput[] => [
    { key: 'slurm:node', value: name },
    { key: 'slurm:cluster', value: cluster },
  ];
  const request = async (id: string) => (await t.admin.data<{ resourceRequest: TaggedRequest }>(`query($id: ID!) { resourceRequest(id: $id) { ${TAGGED} } }`, { id })).resourceRequest;
  const listed = async (client: GraphqlClient, tags: TagInput[], page: { first?: number; after?: string } = {}) =>
    (await client.data<{ resourceRequests: Pick<ResourceRequest, 'id'>[] }>(LIST, { tags, ...page })).resourceRequests.map((r) => r.id);
  const atSite = async (site: string) => (await (await fetch(`${t.url}/emulator/${site}/instances`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as SiteListing;

  beforeAll(async () => {
    t = await startTestBroker(); // the demo federation
    projectId = await projectWithAllocation(t.admin, { name: 'tags-hpc', institution: 'University of Michigan' }, { vcpus: 64, memoryMiB: 262144 });
    const other = await projectWithAllocation(t.admin, { name: 'tags-other', institution: 'University of Michigan' }, { vcpus: 8, memoryMiB: 32768 });
    researcher = t.anonymous.withToken(await token('slurm', projectId));
    outsider = t.anonymous.withToken(await token('stranger', other));
  }, 60_000);
  afterAll(() => t?.stop());

  it('shows the tags on the request and puts them on its instances at the site, in RunInstances or by CreateTags after it', async () => {
    // tacc tags by CreateTags after RunInstances, as clouds without TagSpecifications need
    const { sites } = await t.admin.data<{ sites: Pick<Site, 'id' | 'name'>[] }>('{ sites { id name } }');
    const tacc = sites.find((s) => s.name === 'tacc')!.id;
    await t.admin.data('mutation($id: ID!) { updateSite(input: { id: $id, tagMode: AFTER_CREATE }) { id } }', { id: tacc });

    const onCreate = await submitRequest(researcher, shape(node('cloud1'), { sites: ['umich'] }));
    const afterCreate = await submitRequest(researcher, shape(node('cloud2'), { sites: ['tacc'] }));
    for (const [id, site, name] of [
      [onCreate, 'umich', 'cloud1'],
      [afterCreate, 'tacc', 'cloud2'],
    ] as const) {
      const running = await eventually(async () => ((await request(id)).state === 'RUNNING' ? request(id) : undefined), `request ${id} to run`);
      expect(running.tags).toEqual([
        { key: 'slurm:cluster', value: 'hpc' },
        { key: 'slurm:node', value: name },
      ]); // sorted by key
      const instance = (await atSite(site)).find((i) => i.instanceId === running.instances[0]!.siteInstanceId);
      expect(instance?.tags).toEqual({ 'slurm:cluster': 'hpc', 'slurm:node': name, 'skypool:request': id, 'skypool:project': projectId, 'skypool:broker': expect.any(String), 'skypool:attempt': '1' });
    }
  }, 60_000);

  it('lists only the requests carrying all the tags given, newest first and paged, among those the caller may see', async () => {
    const three = await submitRequest(researcher, shape(node('cloud3')));
    const four = await submitRequest(researcher, shape(node('cloud4')));
    const elsewhere = await submitRequest(researcher, shape(node('cloud3', 'gpu')));

    expect(await listed(researcher, node('cloud3'))).toEqual([three]);
    expect(await listed(researcher, [{ key: 'slurm:node', value: 'cloud3' }])).toEqual([elsewhere, three]);
    expect(await listed(researcher, [{ key: 'slurm:node', value: 'cloud9' }])).toEqual([]);
    const hpc = await listed(researcher, [{ key: 'slurm:cluster', value: 'hpc' }]);
    expect(hpc.slice(0, 2)).toEqual([four, three]);
    expect(hpc).not.toContain(elsewhere);
    const [first] = await listed(researcher, [{ key: 'slurm:cluster', value: 'hpc' }], { first: 1 });
    expect(first).toBe(four);
    expect(await listed(researcher, [{ key: 'slurm:cluster', value: 'hpc' }], { first: 1, after: first })).toEqual([three]);
    // another project's member sees none of them
    expect(await listed(outsider, node('cloud3'))).toEqual([]);
  }, 60_000);

  it('answers a retry with the same idempotency key with the first request and its tags', async () => {
    const first = await submitRequest(researcher, shape(node('cloud5'), { idempotencyKey: 'resume-cloud5' }));
    const retry = await submitRequest(researcher, shape(node('cloud6'), { idempotencyKey: 'resume-cloud5' }));
    expect(retry).toBe(first);
    expect((await request(first)).tags).toContainEqual({ key: 'slurm:node', value: 'cloud5' });
  });

  it.each([
    ["Skypool's own key", [{ key: 'skypool:request', value: 'x' }], 'tags[0].key', /reserved/],
    ['more than 10 tags', Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' })), 'tags', /at most 10 tags/],
    ['a key given twice', [...node('cloud7'), { key: 'slurm:node', value: 'cloud8' }], 'tags[2].key', /given twice/],
    ['a value with a line break', [{ key: 'note', value: 'a\nb' }], 'tags[0].value', /control characters/],
  ])('refuses %s, on submit and in a listing, naming the field', async (_what, tags, field, message) => {
    for (const [operation, call] of [
      ['submitRequest', () => researcher.request('mutation($i: SubmitRequestInput!) { submitRequest(input: $i) { __typename } }', { i: shape(tags) })],
      ['planRequest', () => researcher.request('query($i: SubmitRequestInput!) { planRequest(input: $i) { feasible } }', { i: shape(tags) })],
      ['resourceRequests', () => researcher.request(LIST, { tags })],
    ] as const) {
      const { errors } = await call();
      expect({ operation, ...errors?.[0] }).toMatchObject({ operation, message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT', field } });
    }
  });

  it("adds a note to the request's history as a NOTE, after it ended too; only a member of its project may", async () => {
    const id = await submitRequest(researcher, shape(node('cloud9')));
    const { addRequestNote } = await researcher.data<{ addRequestNote: NoteEvent }>(NOTE, { id, note: 'resume: starting cloud9 for job 4711' });
    expect(addRequestNote).toEqual({ kind: 'NOTE', reason: 'resume: starting cloud9 for job 4711', fromState: null, toState: null });

    // Slurm logs after giving a node back: a request in a final state takes notes too
    await researcher.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id });
    await eventually(async () => (['CANCELLED', 'TERMINATED'].includes((await request(id)).state) ? true : undefined), 'the request to end');
    await researcher.data(NOTE, { id, note: 'suspend:\tcloud9 given back' });
    const { resourceRequest } = await researcher.data<{ resourceRequest: { events: NoteEvent[] } }>('query($id: ID!) { resourceRequest(id: $id) { events { kind reason fromState toState } } }', { id });
    const { events } = resourceRequest;
    expect(events.filter((e) => e.kind === 'NOTE').map((e) => e.reason)).toEqual(['resume: starting cloud9 for job 4711', 'suspend:\tcloud9 given back']);
    expect(events.at(-1)?.kind).toBe('NOTE');
    expect(events.at(-2)).toMatchObject({ kind: 'REQUEST_STATE', toState: expect.stringMatching(/^(CANCELLED|TERMINATED)$/) });

    const refused = await outsider.request(NOTE, { id, note: 'not mine' });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const note of ['', 'two\nlines', 'n'.repeat(1001)]) {
      const bad = await researcher.request(NOTE, { id, note });
      expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'note' });
    }
    const missing = await researcher.request(NOTE, { id: '00000000-0000-4000-8000-000000000000', note: 'x' });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
