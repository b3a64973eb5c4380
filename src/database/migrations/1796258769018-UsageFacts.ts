import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage records keep what their instance was and whose (the facts of the usage reports, APEL
 * records and the federation's balance). From now on a record is one unbroken stretch of an
 * instance's minutes; a record written before, of an instance whose charges alternated between
 * two allocations, keeps its first start: its totals stay exact, its minutes may sit earlier.
 */
export class UsageFacts1796258769018 implements MigrationInterface {
  name = 'UsageFacts1796258769018';

  async up(queryRunner: QueryRunner): Promise<void> {
    const columns: [string, string][] = [
      ['site_institution', 'text'],
      ['project_institution', 'text'],
      ['image', 'text'],
      ['instance_type', 'text'],
      ['vcpus', 'integer'],
      ['gpus', 'integer'],
      ['memory_mib', 'integer'],
    ];
    for (const [name, type] of columns) await queryRunner.query(`ALTER TABLE "usage_record" ADD "${name}" ${type}`);
    // the records charged so far take what their instances were and whose
    await queryRunner.query(`
      UPDATE "usage_record" u
         SET "site_institution" = s."institution", "project_institution" = p."institution", "image" = r."image",
             "instance_type" = i."instance_type", "vcpus" = i."vcpus", "gpus" = i."gpus", "memory_mib" = i."memory_mib"
        FROM "instance" i, "resource_request" r, "site" s, "project" p
       WHERE i."id" = u."instance_id" AND r."id" = i."request_id" AND s."id" = i."site_id" AND p."id" = i."project_id"`);
    // a record whose instance is gone keeps its figures: its size from them, the rest unknown
    await queryRunner.query(`
      UPDATE "usage_record"
         SET "site_institution" = 'unknown', "project_institution" = 'unknown', "image" = 'unknown', "instance_type" = 'unknown',
             "vcpus" = coalesce("vcpu_minutes" / nullif("minutes", 0), 0), "gpus" = coalesce("gpu_minutes" / nullif("minutes", 0), 0), "memory_mib" = 0
       WHERE "vcpus" IS NULL`);
    for (const [name] of columns) await queryRunner.query(`ALTER TABLE "usage_record" ALTER COLUMN "${name}" SET NOT NULL`);
    await queryRunner.query("CREATE INDEX \"IDX_9c51839c95895bacd0792c51ca\" ON \"usage_record\"  (\"period_start\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"IDX_9c51839c95895bacd0792c51ca\"");
    await queryRunner.query("ALTER TABLE \"usage_record\" DROP COLUMN \"memory_mib\"");
    await queryRunner.query("ALTER TABLE \"usage_record\" DROP COLUMN \"gpus\"");
    await queryRunner.query("ALTER TABLE \"usage_record\" DROP COLUMN \"vcpus\"");
    await queryRunner.query("ALTER TABLE \"usage_record\" DROP COLUMN \"instance_type\"");
    await queryRunner.query("ALTER TABLE \"usage_record\" DROP COLUMN \"image\"");
    await queryRunner.query("ALTER TABLE \"usage_record\" DROP COLUMN \"project_institution\"");
    await queryRunner.query("ALTER TABLE \"usage_record\" DROP COLUMN \"site_institution\"");
  }
}
