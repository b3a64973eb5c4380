import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';

describe(`operations on the ${databaseKind} database`, () => {
  describe('with SKYPOOL_SITES empty', () => {
    let t: TestBroker;
    beforeAll(async () => {
      t = await startTestBroker({ sites: '' });
    }, 60_000);
    afterAll(() => t?.stop());

    it('has no sites and serves no emulator', async () => {
      expect(await t.admin.data(`{ sites { name } }`)).toEqual({ sites: [] });
      expect((await fetch(`${t.url}/emulator/umich/instances`)).status).toBe(404);
    });

    it('answers /healthz with 503 once the database is gone', async () => {
      const ok = await fetch(`${t.url}/healthz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: 'ok', database: databaseKind });
      await t.broker.app.get(DataSource).destroy();
      const down = await fetch(`${t.url}/healthz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: 'unavailable', error: expect.stringContaining('the database does not answer') });
    });
  });
});
