import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Where and since when the allocator holds capacity for a gang that has waited long (ReservationPolicy). */
export class GangReservation1796294548596 implements MigrationInterface {
  name = 'GangReservation1796294548596';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"resource_request\" ADD \"reserved_since\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"resource_request\" ADD \"reserved_site_ids\" uuid array");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"resource_request\" DROP COLUMN \"reserved_site_ids\"");
    await queryRunner.query("ALTER TABLE \"resource_request\" DROP COLUMN \"reserved_since\"");
  }
}
