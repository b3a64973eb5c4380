import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Allocations1795766464029 implements MigrationInterface {
  name = 'Allocations1795766464029';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"usage_record\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"project_id\" uuid NOT NULL, \"allocation_id\" uuid, \"instance_id\" uuid NOT NULL, \"request_id\" uuid NOT NULL, \"site_id\" uuid NOT NULL, \"minutes\" integer NOT NULL, \"core_hours\" double precision NOT NULL, \"gpu_hours\" double precision NOT NULL, \"period_start\" TIMESTAMP WITH TIME ZONE NOT NULL, \"period_end\" TIMESTAMP WITH TIME ZONE NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_f22cc039acc8b1bd333978b7cf7\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_20337420f1181dd887363b74ba\" ON \"usage_record\"  (\"instance_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_edc9d8964c9fe7e3988757b207\" ON \"usage_record\"  (\"project_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_79219997ddb0566149917f2721\" ON \"usage_record\"  (\"allocation_id\") ");
    await queryRunner.query("CREATE TABLE \"allocator_cycle\" (\"id\" integer NOT NULL, \"finished_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"duration_seconds\" double precision NOT NULL, \"considered\" integer NOT NULL, \"matched\" integer NOT NULL, \"cycles\" bigint NOT NULL, CONSTRAINT \"PK_667bab169685e94cc77aa98cb87\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("ALTER TABLE \"project\" ADD \"priority_factor\" double precision NOT NULL DEFAULT '1'");
    await queryRunner.query("ALTER TABLE \"project\" ADD \"decayed_usage\" double precision NOT NULL DEFAULT '0'");
    await queryRunner.query("ALTER TABLE \"project\" ADD \"usage_decayed_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"allocation\" ADD \"gpu_hours\" double precision");
    await queryRunner.query("ALTER TABLE \"allocation\" ADD \"revoked_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"allocation\" ADD \"exhausted_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"allocation\" ADD \"terminate_after_minutes\" integer");
    await queryRunner.query("ALTER TABLE \"allocation\" ADD \"enforced_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"allocation\" ADD \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"lends_home_share\" boolean NOT NULL DEFAULT false");
    await queryRunner.query("ALTER TABLE \"resource_request\" ADD \"requirements\" text array NOT NULL DEFAULT '{}'");
    await queryRunner.query("ALTER TABLE \"resource_request\" ADD \"preferred_sites\" text array NOT NULL DEFAULT '{}'");
    await queryRunner.query("ALTER TABLE \"resource_request\" ADD \"span_sites\" boolean NOT NULL DEFAULT false");
    await queryRunner.query("ALTER TABLE \"instance\" ADD \"borrowed\" boolean NOT NULL DEFAULT false");
    await queryRunner.query("ALTER TABLE \"instance\" ADD \"charged_minutes\" integer NOT NULL DEFAULT '0'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"instance\" DROP COLUMN \"charged_minutes\"");
    await queryRunner.query("ALTER TABLE \"instance\" DROP COLUMN \"borrowed\"");
    await queryRunner.query("ALTER TABLE \"resource_request\" DROP COLUMN \"span_sites\"");
    await queryRunner.query("ALTER TABLE \"resource_request\" DROP COLUMN \"preferred_sites\"");
    await queryRunner.query("ALTER TABLE \"resource_request\" DROP COLUMN \"requirements\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"lends_home_share\"");
    await queryRunner.query("ALTER TABLE \"allocation\" DROP COLUMN \"updated_at\"");
    await queryRunner.query("ALTER TABLE \"allocation\" DROP COLUMN \"enforced_at\"");
    await queryRunner.query("ALTER TABLE \"allocation\" DROP COLUMN \"terminate_after_minutes\"");
    await queryRunner.query("ALTER TABLE \"allocation\" DROP COLUMN \"exhausted_at\"");
    await queryRunner.query("ALTER TABLE \"allocation\" DROP COLUMN \"revoked_at\"");
    await queryRunner.query("ALTER TABLE \"allocation\" DROP COLUMN \"gpu_hours\"");
    await queryRunner.query("ALTER TABLE \"project\" DROP COLUMN \"usage_decayed_at\"");
    await queryRunner.query("ALTER TABLE \"project\" DROP COLUMN \"decayed_usage\"");
    await queryRunner.query("ALTER TABLE \"project\" DROP COLUMN \"priority_factor\"");
    await queryRunner.query("DROP TABLE \"allocator_cycle\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_79219997ddb0566149917f2721\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_edc9d8964c9fe7e3988757b207\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_20337420f1181dd887363b74ba\"");
    await queryRunner.query("DROP TABLE \"usage_record\"");
  }
}
