import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * No float holds money any more. Usage records become whole vCPU-minutes and GPU-minutes: every
 * charge was `units x started minutes / 60`, so `round(hours * 60)` gives back exactly the
 * minutes charged. Budgets, lease lengths and home shares keep the hours and shares the API gave,
 * as `numeric` (a double converts to the decimal it was typed as).
 */
export class ExactLedger1796199656147 implements MigrationInterface {
  name = 'ExactLedger1796199656147';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "usage_record" ALTER COLUMN "core_hours" TYPE bigint USING round("core_hours" * 60)::bigint');
    await queryRunner.query('ALTER TABLE "usage_record" RENAME COLUMN "core_hours" TO "vcpu_minutes"');
    await queryRunner.query('ALTER TABLE "usage_record" ALTER COLUMN "gpu_hours" TYPE bigint USING round("gpu_hours" * 60)::bigint');
    await queryRunner.query('ALTER TABLE "usage_record" RENAME COLUMN "gpu_hours" TO "gpu_minutes"');
    await queryRunner.query('ALTER TABLE "allocation" ALTER COLUMN "core_hours" TYPE numeric USING "core_hours"::numeric');
    await queryRunner.query('ALTER TABLE "allocation" ALTER COLUMN "gpu_hours" TYPE numeric USING "gpu_hours"::numeric');
    await queryRunner.query('ALTER TABLE "resource_request" ALTER COLUMN "lease_hours" TYPE numeric USING "lease_hours"::numeric');
    await queryRunner.query('ALTER TABLE "site" ALTER COLUMN "home_share" DROP DEFAULT');
    await queryRunner.query('ALTER TABLE "site" ALTER COLUMN "home_share" TYPE numeric USING "home_share"::numeric');
    await queryRunner.query('ALTER TABLE "site" ALTER COLUMN "home_share" SET DEFAULT \'0\'');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "site" ALTER COLUMN "home_share" DROP DEFAULT');
    await queryRunner.query('ALTER TABLE "site" ALTER COLUMN "home_share" TYPE double precision USING "home_share"::double precision');
    await queryRunner.query('ALTER TABLE "site" ALTER COLUMN "home_share" SET DEFAULT \'0\'');
    await queryRunner.query('ALTER TABLE "resource_request" ALTER COLUMN "lease_hours" TYPE double precision USING "lease_hours"::double precision');
    await queryRunner.query('ALTER TABLE "allocation" ALTER COLUMN "gpu_hours" TYPE double precision USING "gpu_hours"::double precision');
    await queryRunner.query('ALTER TABLE "allocation" ALTER COLUMN "core_hours" TYPE double precision USING "core_hours"::double precision');
    await queryRunner.query('ALTER TABLE "usage_record" RENAME COLUMN "gpu_minutes" TO "gpu_hours"');
    await queryRunner.query('ALTER TABLE "usage_record" ALTER COLUMN "gpu_hours" TYPE double precision USING "gpu_hours" / 60.0');
    await queryRunner.query('ALTER TABLE "usage_record" RENAME COLUMN "vcpu_minutes" TO "core_hours"');
    await queryRunner.query('ALTER TABLE "usage_record" ALTER COLUMN "core_hours" TYPE double precision USING "core_hours" / 60.0');
  }
}
