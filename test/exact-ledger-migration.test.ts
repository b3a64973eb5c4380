import { afterAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { withDatabase } from '../src/database/with-database.js';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/**
 * The ExactLedger migration on rows written the way the broker wrote them before it: core-hours
 * summed as doubles, one charge of whole started minutes at a time. Up gives back exactly the
 * minutes charged; down gives the hours again.
 */
const MIGRATION = 'ExactLedger1796199656147';

let db: TestDatabase | undefined;
afterAll(async () => db?.drop());

async function applied(ds: DataSource): Promise<boolean> {
  const rows: unknown[] = await ds.query('SELECT 1 FROM migrations WHERE name = $1', [MIGRATION]);
  return rows.length > 0;
}

/** Hours as the old ledger summed them: `units x minutes / 60` per charge, added up in doubles. */
const summedHours = (units: number, charges: number[]) => charges.reduce((hours, minutes) => hours + (units * minutes) / 60, 0);

describe('the ExactLedger migration', () => {
  it('turns hours charged as doubles into exact unit-minutes and keeps budgets, leases and shares as given', async () => {
    db = await createTestDatabase();
    await withDatabase(db.url, undefined, async (ds) => {
      await ds.runMigrations();
      while (await applied(ds)) await ds.undoLastMigration();

      const yearByTheMinute = Array.from({ length: 365 * 24 * 60 }, () => 1);
      const usage = [
        { vcpus: 3, gpus: 0, charges: [7, 11, 13] },
        { vcpus: 64, gpus: 4, charges: yearByTheMinute },
        { vcpus: 2, gpus: 1, charges: [1, 1, 1, 1, 1, 1, 1] },
      ];
      expect(usage.map((u) => summedHours(u.vcpus, u.charges) * 60).some((m) => !Number.isInteger(m))).toBe(true);
      for (const [i, u] of usage.entries()) {
        await ds.query(
          `INSERT INTO usage_record (project_id, instance_id, request_id, site_id, minutes, core_hours, gpu_hours, period_start, period_end)
           VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), $1, $2, $3, now(), now() + ($4 || ' seconds')::interval)`,
          [u.charges.reduce((n, m) => n + m, 0), summedHours(u.vcpus, u.charges), summedHours(u.gpus, u.charges), i],
        );
      }
      const [project] = await ds.query(`INSERT INTO project (name, institution) VALUES ('ledger', 'uni-x') RETURNING id`);
      await ds.query('INSERT INTO allocation (project_id, vcpus, memory_mib, core_hours, gpu_hours) VALUES ($1, 8, 8192, $2, $3)', [project.id, 4.15, 0.1]);
      await ds.query(
        `INSERT INTO resource_request (project_id, submitted_by, image, vcpus, memory_mib, count, min_count, lease_hours, state)
         VALUES ($1, 'someone', 'ubuntu-22.04', 1, 1024, 1, 1, $2, 'PENDING')`,
        [project.id, 1.15],
      );
      await ds.query(
        `INSERT INTO site (name, institution, endpoint, region, access_key_id, secret_access_key_sealed, capacity_vcpus, capacity_memory_mib, instance_types, images, home_share)
         VALUES ('lab', 'uni-x', 'http://127.0.0.1:1', 'r', 'k', 's', 8, 8192, '[]', '[]', $1)`,
        [0.9],
      );

      await ds.runMigrations();
      expect(await applied(ds)).toBe(true);
      const minutes = await ds.query('SELECT vcpu_minutes::text, gpu_minutes::text FROM usage_record ORDER BY period_end');
      expect(minutes).toEqual([
        { vcpu_minutes: '93', gpu_minutes: '0' },
        { vcpu_minutes: String(64 * 525_600), gpu_minutes: String(4 * 525_600) },
        { vcpu_minutes: '14', gpu_minutes: '7' },
      ]);
      expect(await ds.query('SELECT core_hours::text, gpu_hours::text FROM allocation')).toEqual([{ core_hours: '4.15', gpu_hours: '0.1' }]);
      expect(await ds.query('SELECT lease_hours::text FROM resource_request')).toEqual([{ lease_hours: '1.15' }]);
      expect(await ds.query(`SELECT home_share::text FROM site WHERE name = 'lab'`)).toEqual([{ home_share: '0.9' }]);

      while (await applied(ds)) await ds.undoLastMigration();
      const hours: { core_hours: number; gpu_hours: number }[] = await ds.query('SELECT core_hours, gpu_hours FROM usage_record ORDER BY period_end');
      expect(hours).toEqual([
        { core_hours: 93 / 60, gpu_hours: 0 },
        { core_hours: (64 * 525_600) / 60, gpu_hours: (4 * 525_600) / 60 },
        { core_hours: 14 / 60, gpu_hours: 7 / 60 },
      ]);
      expect(await ds.query('SELECT core_hours, gpu_hours FROM allocation')).toEqual([{ core_hours: 4.15, gpu_hours: 0.1 }]);
      expect(await ds.query(`SELECT home_share FROM site WHERE name = 'lab'`)).toEqual([{ home_share: 0.9 }]);
      await ds.runMigrations();
    });
  }, 120_000);
});
