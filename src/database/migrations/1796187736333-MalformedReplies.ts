import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MalformedReplies1796187736333 implements MigrationInterface {
  name = 'MalformedReplies1796187736333';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"site\" ADD \"malformed_replies\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"last_malformed_reply\" text");
    await queryRunner.query("ALTER TABLE \"site\" ADD \"last_malformed_reply_at\" TIMESTAMP WITH TIME ZONE");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"last_malformed_reply_at\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"last_malformed_reply\"");
    await queryRunner.query("ALTER TABLE \"site\" DROP COLUMN \"malformed_replies\"");
  }
}
