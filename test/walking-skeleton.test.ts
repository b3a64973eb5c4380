import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_TOKEN, eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation } from './helpers/fixtures.js';

type EmulatorListing = { instanceId: string; state: string; tags: Record<string, string> }[];

describe(`walking skeleton on the ${databaseKind} database`, () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  }, 60_000);
  afterAll(() => t?.stop());

  it('takes a request from submission to a running instance at an emulated site, and ends it', async () => {
    const projectId = await projectWithAllocation(t.admin, { name: 'climate', institution: 'University of Michigan' }, { vcpus: 16, memoryMiB: 65536 });
    const { submitRequest } = await t.admin.data(
      `mutation($p: ID!) { submitRequest(input: { projectId: $p, image: "rstudio-4", vcpus: 2, memoryMiB: 2048, leaseHours: 2, userData: "#!/bin/sh\\necho hello" }) { __typename ... on ResourceRequest { id state image vcpus memoryMiB gpus count minCount leaseHours project { id } } } }`,
      { p: projectId },
    );
    // the answer is the request as stored, every field of it (the CLI prints it)
    expect(submitRequest).toMatchObject({ __typename: 'ResourceRequest', state: 'PENDING', image: 'rstudio-4', vcpus: 2, memoryMiB: 2048, gpus: 0, count: 1, minCount: 1, leaseHours: 2, project: { id: projectId } });

    const query = `query($id: ID!) { resourceRequest(id: $id) { state reason leaseEndsAt instances { state siteInstanceId instanceType site { name } } } }`;
    const running = await eventually(async () => {
      const { resourceRequest } = await t.admin.data(query, { id: submitRequest.id });
      return resourceRequest.state === 'RUNNING' ? resourceRequest : undefined;
    }, 'the request to run');
    expect(running.instances).toHaveLength(1);
    expect(running.instances[0]).toMatchObject({ state: 'RUNNING', instanceType: 'standard.small', site: { name: 'edinburgh' } });
    expect(running.leaseEndsAt).toBeTruthy();

    // the site's own listing shows every project's instances: federation admins only
    const listing = `${t.url}/emulator/edinburgh/instances`;
    const asAdmin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    const { createServiceAccount } = await t.admin.data(`mutation($p: ID!) { createServiceAccount(input: { name: "r", role: RESEARCHER, projectId: $p }) { token } }`, { p: projectId });
    expect((await fetch(listing)).status).toBe(401);
    expect((await fetch(listing, { headers: { authorization: `Bearer ${createServiceAccount.token}` } })).status).toBe(401);
    const atSite = (await (await fetch(listing, asAdmin)).json()) as EmulatorListing;
    const mine = atSite.find((i) => i.instanceId === running.instances[0].siteInstanceId);
    expect(mine).toMatchObject({ state: 'running', tags: { 'skypool:request': submitRequest.id, 'skypool:project': projectId, 'skypool:attempt': '1' } });
    expect(mine?.tags['skypool:broker']).toMatch(/^[0-9a-f-]{36}$/);

    await t.admin.data(`mutation($id: ID!) { cancelRequest(id: $id) { state } }`, { id: submitRequest.id });
    const ended = await eventually(async () => {
      const { resourceRequest } = await t.admin.data(query, { id: submitRequest.id });
      return resourceRequest.state === 'TERMINATED' ? resourceRequest : undefined;
    }, 'the request to end');
    expect(ended.instances[0].state).toBe('TERMINATED');
    const after = (await (await fetch(listing, asAdmin)).json()) as EmulatorListing;
    expect(after.find((i) => i.instanceId === running.instances[0].siteInstanceId)?.state).toBe('terminated');
  }, 60_000);
});
