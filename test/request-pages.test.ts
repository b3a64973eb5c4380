import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Db } from '../src/database/db.js';
import { Instance } from '../src/requests/entities/instance.entity.js';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import { databaseKind } from './helpers/test-database.js';

const REQUESTS = 12;
const REQUEST_FIELDS =
  'id state reason reasonCode image vcpus memoryMiB gpus count minCount leaseHours sites requirements preferredSites spanSites tags { key value } leaseEndsAt createdAt project { id }';
const INSTANCE_FIELDS = 'id instanceType siteInstanceId state privateIp publicIp leaseEndsAt startedAt endedAt borrowed';
const PAGE = `query($p: ID!, $first: Int) { resourceRequests(projectId: $p, first: $first) { ${REQUEST_FIELDS} instances { ${INSTANCE_FIELDS} } } }`;

type Page = { id: string; state: string; instances: Record<string, unknown>[] }[];

/**
 * Pages of requests are read with plain SQL of the views' columns (the portal and the CLI page
 * through them all day): a page costs a few statements however long it is, and shows each
 * request and its instances as they are stored.
 */
describe(`pages of requests on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let projectId: string;

  /**
   * How many SQL statements the broker runs while `work` runs: the fewest of a few tries, since
   * the background jobs (the reconciler, health probes) may add theirs to one.
   */
  async function statementsDuring(work: () => Promise<unknown>): Promise<number> {
    const logger = t.broker.app.get(Db).dataSource.logger;
    const original = logger.logQuery;
    const counts: number[] = [];
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        let statements = 0;
        logger.logQuery = (...args) => {
          statements++;
          return original.apply(logger, args);
        };
        await work();
        counts.push(statements);
      }
    } finally {
      logger.logQuery = original;
    }
    return Math.min(...counts);
  }

  beforeAll(async () => {
    t = await startTestBroker(); // the demo federation
    projectId = await projectWithAllocation(t.admin, { name: 'paged', institution: 'University of Michigan' }, { vcpus: 64, memoryMiB: 262144 });
    for (let i = 0; i < REQUESTS; i++) {
      await submitRequest(t.admin, {
        projectId,
        image: 'ubuntu-22.04',
        vcpus: 1,
        memoryMiB: 1024,
        count: 2,
        leaseHours: 1.25,
        sites: ['umich', 'tacc'],
        preferredSites: ['tacc'],
        tags: [
          { key: 'slurm:node', value: `cloud${i}` },
          { key: 'batch', value: 'b' },
        ],
      });
    }
    await eventually(async () => {
      const { resourceRequests } = await t.admin.data<{ resourceRequests: Page }>(PAGE, { p: projectId, first: REQUESTS });
      return resourceRequests.every((r) => r.state === 'RUNNING' && r.instances.length === 2) ? true : undefined;
    }, 'every request to run with its instances', 60_000);
  }, 120_000);
  afterAll(() => t?.stop());

  it('reads a page of requests with their instances in as many statements as a page of one', async () => {
    const forPage = await statementsDuring(() => t.admin.data(PAGE, { p: projectId, first: REQUESTS }));
    const forOne = await statementsDuring(() => t.admin.data(PAGE, { p: projectId, first: 1 }));
    expect(forPage).toBe(forOne);
    // the permission check of projectId, the page, its projects, their instances
    expect(forPage).toBeLessThanOrEqual(4);
  });

  it('shows each request as the request alone shows it, and its instances as they are stored', async () => {
    const { resourceRequests: page } = await t.admin.data<{ resourceRequests: Page }>(PAGE, { p: projectId, first: REQUESTS });
    expect(page).toHaveLength(REQUESTS);
    const stored = await t.broker.app.get(Db).manager.getRepository(Instance).find({ where: { projectId }, order: { createdAt: 'ASC', id: 'ASC' } });
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    for (const request of page) {
      const { resourceRequest } = await t.admin.data<{ resourceRequest: Page[number] }>(`query($id: ID!) { resourceRequest(id: $id) { ${REQUEST_FIELDS} } }`, { id: request.id });
      const { instances, ...fields } = request;
      expect(fields).toEqual(resourceRequest);
      expect(instances).toEqual(
        stored
          .filter((i) => i.requestId === request.id)
          .map((i) => ({
            id: i.id,
            instanceType: i.instanceType,
            siteInstanceId: i.siteInstanceId,
            state: i.state,
            privateIp: i.privateIp,
            publicIp: i.publicIp,
            leaseEndsAt: iso(i.leaseEndsAt),
            startedAt: iso(i.startedAt),
            endedAt: iso(i.endedAt),
            borrowed: i.borrowed,
          })),
      );
    }
  });
});
