import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Lifecycle1795768217785 implements MigrationInterface {
  name = 'Lifecycle1795768217785';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"request_event\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"request_id\" uuid NOT NULL, \"instance_id\" uuid, \"site_id\" uuid, \"kind\" text NOT NULL, \"from_state\" text, \"to_state\" text, \"reason\" text, \"reason_code\" text, \"at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_156f0e366bd6410bfe226bea635\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_a087742c770553407a12256587\" ON \"request_event\"  (\"request_id\", \"at\") ");
    await queryRunner.query("ALTER TABLE \"resource_request\" ADD \"lease_warned_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"instance\" ADD \"pending_since\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"instance\" ADD \"tries\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query("ALTER TABLE \"instance\" ADD \"next_attempt_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"instance\" ADD \"claimed_by\" text");
    await queryRunner.query("ALTER TABLE \"instance\" ADD \"claimed_until\" TIMESTAMP WITH TIME ZONE");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"instance\" DROP COLUMN \"claimed_until\"");
    await queryRunner.query("ALTER TABLE \"instance\" DROP COLUMN \"claimed_by\"");
    await queryRunner.query("ALTER TABLE \"instance\" DROP COLUMN \"next_attempt_at\"");
    await queryRunner.query("ALTER TABLE \"instance\" DROP COLUMN \"tries\"");
    await queryRunner.query("ALTER TABLE \"instance\" DROP COLUMN \"pending_since\"");
    await queryRunner.query("ALTER TABLE \"resource_request\" DROP COLUMN \"lease_warned_at\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_a087742c770553407a12256587\"");
    await queryRunner.query("DROP TABLE \"request_event\"");
  }
}
