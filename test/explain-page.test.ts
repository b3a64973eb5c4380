import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AllocatorCycleService } from '../src/allocator/allocator-cycle.service.js';
import { Db } from '../src/database/db.js';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation } from './helpers/fixtures.js';

/** Once a year: the background jobs stay out of the way of the queries this suite counts. */
const RARELY = '0 0 0 1 1 *';
const QUEUED = 40;

/**
 * `explain` over a page of waiting requests reads the federation's state once for the whole
 * page, not once per request (a page of 168 took 2.7 s when each request read it on its own).
 */
describe(`explain over a page of requests on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let projectId: string;

  /** The SQL statements the broker runs while `work` runs. */
  async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
    const logger = t.broker.app.get(Db).dataSource.logger;
    const original = logger.logQuery;
    const statements: string[] = [];
    logger.logQuery = (query, ...rest) => {
      statements.push(query);
      return original.call(logger, query, ...rest);
    };
    try {
      await work();
    } finally {
      logger.logQuery = original;
    }
    return statements;
  }

  beforeAll(async () => {
    t = await startTestBroker({
      // nothing else runs statements while they are counted
      env: { SKYPOOL_ALLOCATOR_CRON: RARELY, SKYPOOL_RECONCILE_CRON: RARELY, SKYPOOL_HEALTH_CRON: RARELY, SKYPOOL_CHARGE_CRON: RARELY, SKYPOOL_POOL_CRON: RARELY, SKYPOOL_WEBHOOK_CRON: RARELY },
    });
    // every site drains, so the requests wait (SITE_DRAINING) and nothing is provisioned meanwhile
    const { sites } = await t.admin.data('{ sites { id } }');
    for (const site of sites) await t.admin.data('mutation($id: ID!) { drainSite(id: $id) { id } }', { id: site.id });
    projectId = await projectWithAllocation(t.admin, { name: 'explained', institution: 'University of Michigan' }, { vcpus: 64, memoryMiB: 262144 });
    for (let i = 0; i < QUEUED; i++) {
      await t.admin.data('mutation($p: ID!) { submitRequest(input: { projectId: $p, image: "ubuntu-22.04", vcpus: 1, memoryMiB: 1024, leaseHours: 1 }) { __typename } }', { p: projectId });
    }
    await eventually(async () => {
      const { resourceRequests } = await t.admin.data('query($p: ID!) { resourceRequests(projectId: $p, first: 1000) { state } }', { p: projectId });
      return resourceRequests.every((r: { state: string }) => r.state === 'QUEUED') ? true : undefined;
    }, 'every request to be QUEUED');
    // the allocator stops here (as at shutdown: its schedule, a cycle the last submissions asked
    // for, and the one running), so no cycle's statements are counted with the page's
    await t.broker.app.get(AllocatorCycleService).onApplicationShutdown();
  }, 120_000);
  afterAll(() => t?.stop());

  const PAGE = `query($p: ID!, $first: Int) { resourceRequests(projectId: $p, first: $first) { id explain { verdict reason site { name } } } }`;

  it('explains a page of 40 waiting requests with a few statements, as many as for a page of one', async () => {
    let page: { explain: { verdict: string }[] }[] = [];
    const forPage = await statementsDuring(async () => {
      page = (await t.admin.data(PAGE, { p: projectId, first: QUEUED })).resourceRequests;
    });
    const forOne = await statementsDuring(() => t.admin.data(PAGE, { p: projectId, first: 1 }));
    expect(page).toHaveLength(QUEUED);
    const verdicts = (r: (typeof page)[number]) => r.explain.map((v) => v.verdict).sort();
    expect(page.map(verdicts)).toEqual(page.map(() => ['NO_IMAGE', 'SITE_DRAINING', 'SITE_DRAINING'])); // edinburgh has no ubuntu
    expect(forPage.length).toBeLessThan(15);
    expect(forPage.length).toBe(forOne.length);
  });

  it('explains each request of the page as it explains that request alone', async () => {
    const { resourceRequests } = await t.admin.data(PAGE, { p: projectId, first: 5 });
    for (const request of resourceRequests) {
      const { resourceRequest } = await t.admin.data('query($id: ID!) { resourceRequest(id: $id) { id explain { verdict reason site { name } } } }', { id: request.id });
      expect(resourceRequest).toEqual(request);
    }
  });
});
