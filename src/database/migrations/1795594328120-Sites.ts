import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Sites1795594328120 implements MigrationInterface {
  name = 'Sites1795594328120';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"site\" ADD \"availability_zones\" jsonb NOT NULL DEFAULT '[]'");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"labels\" jsonb NOT NULL DEFAULT '{}'");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"network\" jsonb NOT NULL DEFAULT '{\"securityGroupIds\":[],\"subnetId\":null,\"keyName\":null,\"associatePublicIp\":null}'");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"tag_mode\" text NOT NULL DEFAULT 'ON_CREATE'");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"draining_since\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"removed_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"health_since\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"health_checked_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"health_latency_ms\" integer");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"health_error\" text");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"consecutive_failures\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query("ALTER TABLE \"site\" DROP CONSTRAINT \"UQ_9669a09fcc0eb6d2794a658f647\"");
    await queryRunner.query("CREATE UNIQUE INDEX \"UQ_site_name_live\" ON \"site\"  (\"name\") WHERE \"removed_at\" IS NULL");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"UQ_site_name_live\"");
    await queryRunner.query("ALTER TABLE \"site\" ADD CONSTRAINT \"UQ_9669a09fcc0eb6d2794a658f647\" UNIQUE (\"name\")");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"consecutive_failures\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"health_error\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"health_latency_ms\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"health_checked_at\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"health_since\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"removed_at\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"draining_since\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"tag_mode\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"network\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"labels\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"availability_zones\"");
  }
}
