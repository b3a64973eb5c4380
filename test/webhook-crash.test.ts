import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, SECRET_KEY, eventually } from './helpers/broker.js';
import { spawnBroker, type BrokerProcess } from './helpers/broker-process.js';
import { grantAllocation } from './helpers/fixtures.js';
import { GraphqlClient } from './helpers/graphql-client.js';
import { createTestDatabase, databaseKind, prepareDataFolder, type TestDatabase } from './helpers/test-database.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * The outbox across a crash, with real processes: a notification committed while its receiver is
 * down, the broker SIGKILLed before it could deliver, a new broker process on the same database
 * delivers it: once, signed, with the id it was committed with.
 */
describe(`webhook deliveries across a SIGKILL on the ${databaseKind} database`, () => {
  const receiver = new WebhookReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'skypool-webhook-crash-'));
  let database: TestDatabase | undefined;
  const brokers: BrokerProcess[] = [];

  afterAll(async () => {
    for (const b of brokers) await b.stop('SIGKILL').catch(() => undefined);
    await receiver.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('delivers what was committed before the kill, once', async () => {
    database = await createTestDatabase();
    const env = {
      SKYPOOL_DATA_DIR: prepareDataFolder(database, join(dir, 'data')),
      SKYPOOL_SITES: 'sites/demo',
      SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN,
      SKYPOOL_SECRET_KEY: SECRET_KEY,
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      SKYPOOL_CHARGE_CRON: '* * * * * *',
      SKYPOOL_WEBHOOK_CRON: '* * * * * *',
      SKYPOOL_WEBHOOK_RETRY_SECONDS: '1',
      SKYPOOL_WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    const first = await spawnBroker(env);
    brokers.push(first);
    const admin = new GraphqlClient(first.url, ADMIN_TOKEN);
    const { createProject } = await admin.data('mutation { createProject(input: { name: "outbox", institution: "University of Michigan" }) { id } }');
    const project = createProject.id as string;
    const { registerWebhook } = await admin.data('mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret } }', {
      i: { projectId: project, url: await receiver.start(), kinds: ['ALLOCATION_ENDED'] },
    });
    receiver.secret = registerWebhook.secret;

    receiver.refusing = true;
    const revoked = await grantAllocation(admin, project, { vcpus: 4, memoryMiB: 8192 });
    await admin.data('mutation($id: ID!) { revokeAllocation(id: $id) { id } }', { id: revoked });
    const refused = await eventually(async () => receiver.received.find((d) => d.kind === 'ALLOCATION_ENDED'), 'a first, refused delivery');
    expect(refused).toMatchObject({ status: 503, signed: true });
    expect(refused.body.details.allocationId).toBe(revoked);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');

    receiver.refusing = false;
    const second = await spawnBroker(env);
    brokers.push(second);
    // at once, or (when the kill came while an attempt was under way) once that attempt's claim runs out: 60 s
    const delivered = await eventually(async () => receiver.accepted('ALLOCATION_ENDED')[0], 'the delivery after the restart', 90_000);
    expect(delivered).toMatchObject({ eventId: refused.eventId, signed: true, body: { id: refused.eventId, projectId: project } });
    expect(delivered.attempt).toBeGreaterThan(1);

    // a later notification goes through after it, and the first is not sent again
    const later = await grantAllocation(new GraphqlClient(second.url, ADMIN_TOKEN), project, { vcpus: 4, memoryMiB: 8192 });
    await new GraphqlClient(second.url, ADMIN_TOKEN).data('mutation($id: ID!) { revokeAllocation(id: $id) { id } }', { id: later });
    await eventually(async () => (receiver.accepted('ALLOCATION_ENDED').length === 2 ? true : undefined), 'the later notification');
    expect(receiver.accepted().map((d) => d.body.details.allocationId)).toEqual([revoked, later]);
    expect(receiver.received.every((d) => d.signed)).toBe(true);
  }, 180_000);
});
