import { afterAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { withDatabase } from '../src/database/with-database.js';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/**
 * The UsageFacts migration on records charged before it: each takes what its instance was (size,
 * type, image) and whose (the site's and the project's institutions); a record whose instance is
 * gone keeps its figures, its size worked out from them.
 */
const MIGRATION = 'UsageFacts1796258769018';

let db: TestDatabase | undefined;
afterAll(async () => db?.drop());

async function applied(ds: DataSource): Promise<boolean> {
  const rows: unknown[] = await ds.query('SELECT 1 FROM migrations WHERE name = $1', [MIGRATION]);
  return rows.length > 0;
}

describe('the UsageFacts migration', () => {
  it("fills each record's facts from its instance, request, site and project", async () => {
    db = await createTestDatabase();
    await withDatabase(db.url, undefined, async (ds) => {
      await ds.runMigrations();
      while (await applied(ds)) await ds.undoLastMigration();

      const [project] = await ds.query(`INSERT INTO project (name, institution) VALUES ('astro', 'Uni A') RETURNING id`);
      const [site] = await ds.query(
        `INSERT INTO site (name, institution, endpoint, region, access_key_id, secret_access_key_sealed, capacity_vcpus, capacity_memory_mib, instance_types, images)
         VALUES ('lab', 'Uni B', 'http://127.0.0.1:1', 'r', 'k', 's', 8, 8192, '[]', '[]') RETURNING id`,
      );
      const [request] = await ds.query(
        `INSERT INTO resource_request (project_id, submitted_by, image, vcpus, memory_mib, count, min_count, lease_hours, state)
         VALUES ($1, 'someone', 'rocky-9', 4, 8192, 1, 1, 1, 'RUNNING') RETURNING id`,
        [project.id],
      );
      const [instance] = await ds.query(
        `INSERT INTO instance (request_id, project_id, site_id, attempt, instance_type, vcpus, memory_mib, gpus, state, started_at, charged_minutes)
         VALUES ($1, $2, $3, 1, 'm1.large', 4, 8192, 1, 'RUNNING', now() - interval '10 minutes', 10) RETURNING id`,
        [request.id, project.id, site.id],
      );
      const record = `INSERT INTO usage_record (project_id, instance_id, request_id, site_id, minutes, vcpu_minutes, gpu_minutes, period_start, period_end)
                      VALUES ($1, $2, $3, $4, 10, $5, $6, now() - interval '10 minutes', now())`;
      await ds.query(record, [project.id, instance.id, request.id, site.id, 40, 10]);
      await ds.query(record, [project.id, '00000000-0000-7000-8000-000000000001', request.id, site.id, 30, 0]); // its instance is gone

      await ds.runMigrations();
      expect(await applied(ds)).toBe(true);
      const facts = await ds.query('SELECT site_institution, project_institution, image, instance_type, vcpus, gpus, memory_mib, vcpu_minutes::text FROM usage_record ORDER BY vcpu_minutes DESC');
      expect(facts).toEqual([
        { site_institution: 'Uni B', project_institution: 'Uni A', image: 'rocky-9', instance_type: 'm1.large', vcpus: 4, gpus: 1, memory_mib: 8192, vcpu_minutes: '40' },
        { site_institution: 'unknown', project_institution: 'unknown', image: 'unknown', instance_type: 'unknown', vcpus: 3, gpus: 0, memory_mib: 0, vcpu_minutes: '30' },
      ]);

      // and down again: the columns go, the records stay
      while (await applied(ds)) await ds.undoLastMigration();
      expect(await ds.query('SELECT vcpu_minutes::text FROM usage_record ORDER BY vcpu_minutes DESC')).toEqual([{ vcpu_minutes: '40' }, { vcpu_minutes: '30' }]);
      await ds.runMigrations();
    });
  }, 120_000);
});
