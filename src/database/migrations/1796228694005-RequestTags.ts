import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RequestTags1796228694005 implements MigrationInterface {
  name = 'RequestTags1796228694005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"resource_request\" ADD \"tags\" jsonb NOT NULL DEFAULT '{}'");
    await queryRunner.query("CREATE INDEX \"IDX_8237e26b8cdbd8b99be3f2a918\" ON \"resource_request\" USING gin (\"tags\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"IDX_8237e26b8cdbd8b99be3f2a918\"");
    await queryRunner.query("ALTER TABLE \"resource_request\" DROP COLUMN \"tags\"");
  }
}
