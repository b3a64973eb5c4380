import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { AllocatorCycleService } from '../src/allocator/allocator-cycle.service.js';
import { ManualClock } from '../src/common/clock.js';
import { ProvisioningScheduler } from '../src/provisioning/provisioning.scheduler.js';
import { RequestUpdates } from '../src/requests/request-updates.js';
import { ADMIN_TOKEN, eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKind, serverUrl } from './helpers/test-database.js';
import { projectWithAllocation, submitRequest, type AllocationInput } from './helpers/fixtures.js';

/**
 * A request's history (`events`) and the requestUpdated subscription over graphql-ws: the states
 * a request goes through arrive as they happen, each transition is in the history with its
 * reason, and the socket keeps the API's authentication, authorization and limits. On a
 * PostgreSQL server, a change made by one broker process reaches the subscribers of another.
 */
describe(`request history and live updates on the ${databaseKind} database`, () => {
  let t: TestBroker;
  const clock = new ManualClock(new Date());
  const never = '0 0 0 1 1 *';
  // the schedules stay out of the way: the test runs each pass itself
  const quiet = { SKYPOOL_ALLOCATOR_CRON: never, SKYPOOL_RECONCILE_CRON: never, SKYPOOL_CHARGE_CRON: never, SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '60000' };
  // each socket's credentials are checked again every second (default 5)
  const recheck = { SKYPOOL_SUBSCRIPTION_RECHECK_SECONDS: '1' };
  const clients: Client[] = [];
  let projectId: string;

  beforeAll(async () => {
    t = await startTestBroker({ clock, env: { ...quiet, ...recheck } });
    projectId = await project('history', { vcpus: 2, memoryMiB: 65536 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.stop();
  });

  const project = (name: string, allocation: AllocationInput) => projectWithAllocation(t.admin, { name, institution: 'University of Michigan' }, allocation);
  const submit = (projectId: string) => submitRequest(t.admin, { projectId, image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 2048, leaseHours: 1, sites: ['umich'] });
  const cancel = (id: string) => t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id });
  const allocate = () => t.broker.app.get(AllocatorCycleService).run();
  const reconcile = () => t.broker.app.get(ProvisioningScheduler).reconcileNow();
  const events = async (id: string) => (await t.admin.data(`query($id: ID!) { resourceRequest(id: $id) { events { at kind fromState toState reason reasonCode instanceId site { name } } } }`, { id })).resourceRequest.events;

  function wsClient(url: string, connectionParams?: Record<string, unknown>): Client {
    const client = createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
    clients.push(client);
    return client;
  }

  /** Everything a subscription delivers, and how it ended. */
  function subscribe(client: Client, query: string, variables: Record<string, unknown>) {
    const results: any[] = [];
    const ended = new Promise<{ error?: any }>((resolve) =>
      client.subscribe({ query, variables }, { next: (r) => void results.push(r), error: (error) => resolve({ error }), complete: () => resolve({}) }),
    );
    const states = () => results.map((r) => r.data?.requestUpdated?.state).filter((s, i, all) => s && s !== all[i - 1]);
    return { results, ended, states };
  }
  const REQUEST_UPDATED = 'subscription($id: ID!) { requestUpdated(id: $id) { id state reason instances { state } } }';

  /** Runs reconcile passes, moving the clock a few seconds at a time, until `done`. */
  async function passUntil(done: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 40 && !done(); i++) {
      clock.advance(3000);
      await reconcile();
      await new Promise((r) => setTimeout(r, 50));
    }
    await eventually(async () => done() || undefined, what, 5000);
  }

  it('delivers each state as it happens and keeps the transitions, with reasons, in the history', async () => {
    const id = await submit(projectId);
    const watch = subscribe(wsClient(t.url, { Authorization: `Bearer ${ADMIN_TOKEN}` }), REQUEST_UPDATED, { id });
    await eventually(async () => watch.states().includes('PENDING') || undefined, 'the state at subscription');

    await allocate();
    await eventually(async () => watch.states().includes('PROVISIONING') || undefined, 'PROVISIONING');
    await passUntil(() => watch.states().includes('RUNNING'), 'RUNNING');
    await cancel(id);
    await eventually(async () => watch.states().includes('TERMINATING') || undefined, 'TERMINATING');
    await passUntil(() => watch.states().includes('TERMINATED'), 'TERMINATED');

    expect(await watch.ended).toEqual({}); // it completes after a final state
    expect(watch.states()).toEqual(['PENDING', 'PROVISIONING', 'RUNNING', 'TERMINATING', 'TERMINATED']);
    expect(watch.results.at(-1).data.requestUpdated.instances).toEqual([{ state: 'TERMINATED' }]);

    const history = await events(id);
    expect(history.filter((e: any) => e.kind === 'REQUEST_STATE')).toEqual([
      expect.objectContaining({ fromState: null, toState: 'PENDING', reason: expect.stringMatching(/^submitted by /), instanceId: null, site: null }),
      expect.objectContaining({ fromState: 'PENDING', toState: 'PROVISIONING', reason: 'starting 1 x m1.medium at umich' }),
      expect.objectContaining({ fromState: 'PROVISIONING', toState: 'RUNNING', reason: '1 of 1 running' }),
      expect.objectContaining({ fromState: 'RUNNING', toState: 'TERMINATING', reason: expect.stringMatching(/^cancelled by /) }),
      expect.objectContaining({ fromState: 'TERMINATING', toState: 'TERMINATED' }),
    ]);
    const instanceEvents = history.filter((e: any) => e.kind === 'INSTANCE_STATE');
    expect(instanceEvents.map((e: any) => e.toState).slice(-3)).toEqual(['RUNNING', 'TERMINATING', 'TERMINATED']);
    expect(instanceEvents[0].fromState).toBe('REQUESTED');
    for (const e of instanceEvents) expect(e).toMatchObject({ instanceId: expect.any(String), site: { name: 'umich' }, reason: expect.any(String) });
    // oldest first: the instance runs before the request does, and ends before it
    const order = history.map((e: any) => `${e.kind === 'REQUEST_STATE' ? 'request' : 'instance'} ${e.toState}`);
    expect(order.indexOf('instance RUNNING')).toBeLessThan(order.indexOf('request RUNNING'));
    expect(order.indexOf('instance TERMINATED')).toBeLessThan(order.indexOf('request TERMINATED'));
    const times = history.map((e: any) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  }, 120_000);

  it('records a waiting request once per reason, not once per allocator cycle', async () => {
    const small = await project('history-small', { vcpus: 2, memoryMiB: 65536 });
    const first = await submit(small);
    const second = await submit(small);
    for (let i = 0; i < 3; i++) await allocate();
    expect((await events(second)).map((e: any) => [e.fromState, e.toState, e.reasonCode])).toEqual([
      [null, 'PENDING', null],
      ['PENDING', 'QUEUED', 'QUOTA'],
    ]);
    await cancel(second);
    await cancel(first);
    expect((await events(second)).at(-1)).toMatchObject({ fromState: 'QUEUED', toState: 'CANCELLED' });
  }, 60_000);

  it('refuses a connection without valid credentials with UNAUTHENTICATED', async () => {
    for (const params of [undefined, { Authorization: 'Bearer not-a-token' }, { authorization: 'Basic abc' }]) {
      const { ended, results } = subscribe(wsClient(t.url, params), REQUEST_UPDATED, { id: '00000000-0000-0000-0000-000000000000' });
      const { error } = await ended;
      expect({ code: error.code, reason: error.reason }).toEqual({ code: 4401, reason: expect.stringMatching(/^UNAUTHENTICATED: /) });
      expect(results).toEqual([]);
    }
  });

  it('answers FORBIDDEN for a request of a project the caller is not in, NOT_FOUND for an unknown one', async () => {
    const other = await project('history-other', { vcpus: 2, memoryMiB: 65536 });
    const { createServiceAccount } = await t.admin.data(`mutation($p: ID) { createServiceAccount(input: { name: "outsider", role: RESEARCHER, projectId: $p }) { token } }`, { p: other });
    const outsider = wsClient(t.url, { authorization: `Bearer ${createServiceAccount.token}` });
    const id = await submit(projectId);

    const forbidden = subscribe(outsider, REQUEST_UPDATED, { id });
    expect(await forbidden.ended).toEqual({});
    expect(forbidden.results).toEqual([{ errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] }]);

    const unknown = subscribe(outsider, REQUEST_UPDATED, { id: '00000000-0000-0000-0000-000000000000' });
    await unknown.ended;
    expect(unknown.results[0].errors[0].extensions).toEqual({ code: 'NOT_FOUND' });
    await cancel(id);
  });

  it('keeps the limits and serves only subscriptions on the socket', async () => {
    const admin = wsClient(t.url, { Authorization: `Bearer ${ADMIN_TOKEN}` });
    const mutation = subscribe(admin, 'mutation { createProject(input: { name: "over-ws", institution: "x" }) { id } }', {});
    expect((await mutation.ended).error).toEqual([expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })]);
    const nested = `${'project { requests { '.repeat(5)}project { id }${' } }'.repeat(5)}`;
    const deep = subscribe(admin, `subscription($id: ID!) { requestUpdated(id: $id) { ${nested} } }`, { id: '00000000-0000-0000-0000-000000000000' });
    expect((await deep.ended).error).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/nested 13 levels deep/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
  });

  /** A new service account of the project (expiring in a day); its token and id. */
  async function account(name: string): Promise<{ token: string; id: string }> {
    const { createServiceAccount } = await t.admin.data(`mutation($p: ID) { createServiceAccount(input: { name: "${name}", role: RESEARCHER, projectId: $p, expiresInDays: 1 }) { token } }`, { p: projectId });
    const { apiTokens } = await t.admin.data(`{ apiTokens { id name } }`);
    return { token: createServiceAccount.token, id: apiTokens.find((x: { name: string }) => x.name === name).id };
  }

  it('closes the socket of a token revoked while it listens, within seconds', async () => {
    const { token, id: tokenId } = await account('revoked-listener');
    const id = await submit(projectId);
    const watch = subscribe(wsClient(t.url, { Authorization: `Bearer ${token}` }), REQUEST_UPDATED, { id });
    await eventually(async () => watch.states().includes('PENDING') || undefined, 'the state at subscription');
    const revokedAt = Date.now();
    await t.admin.data('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: tokenId });
    const { error } = await watch.ended;
    expect(Date.now() - revokedAt).toBeLessThan(10_000); // checked every second here
    expect({ code: error.code, reason: error.reason }).toEqual({ code: 4401, reason: 'UNAUTHENTICATED: unknown or revoked token' });
    await cancel(id);
  }, 30_000);

  it('closes the socket of a token when it expires, and refuses the token a new one', async () => {
    const { token } = await account('expiring-listener');
    const id = await submit(projectId);
    const watch = subscribe(wsClient(t.url, { Authorization: `Bearer ${token}` }), REQUEST_UPDATED, { id });
    await eventually(async () => watch.states().includes('PENDING') || undefined, 'the state at subscription');
    const expiredAt = Date.now();
    clock.advance(86_400_000 + 1000);
    const { error } = await watch.ended;
    expect(Date.now() - expiredAt).toBeLessThan(10_000);
    expect({ code: error.code, reason: error.reason }).toEqual({ code: 4401, reason: 'UNAUTHENTICATED: the token has expired' });
    const again = subscribe(wsClient(t.url, { Authorization: `Bearer ${token}` }), REQUEST_UPDATED, { id });
    expect((await again.ended).error).toMatchObject({ code: 4401, reason: 'UNAUTHENTICATED: the token has expired' });
    expect(again.results).toEqual([]);
    await cancel(id);
  }, 30_000);

  (serverUrl ? it : it.skip)('tells the subscribers of another broker process, and each process hears each change once', async () => {
    const database = await createTestDatabase();
    const [one, two] = [await startTestBroker({ clock, env: quiet, database }), await startTestBroker({ clock, env: quiet, database, sites: '' })];
    try {
      const shared = await projectWithAllocation(one.admin, { name: 'shared', institution: 'University of Michigan' }, { vcpus: 2, memoryMiB: 4096 });
      const requestId = await submitRequest(one.admin, { projectId: shared, image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 2048, leaseHours: 1 });
      const heard = [0, 0];
      [one, two].forEach((b, i) => b.broker.app.get(RequestUpdates).watch(requestId, () => heard[i]!++));
      const watch = subscribe(wsClient(two.url, { Authorization: `Bearer ${ADMIN_TOKEN}` }), REQUEST_UPDATED, { id: requestId });
      await eventually(async () => watch.states().includes('PENDING') || undefined, 'the state at subscription');

      await one.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: requestId });
      expect(await watch.ended).toEqual({});
      expect(watch.states()).toEqual(['PENDING', 'CANCELLED']);
      await new Promise((r) => setTimeout(r, 500)); // time for a notification to come back to the process that sent it
      expect(heard).toEqual([1, 1]);
    } finally {
      await two.stop();
      await one.stop();
      await database.drop();
    }
  }, 90_000);
});
