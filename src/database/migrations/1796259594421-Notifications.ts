import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Notifications1796259594421 implements MigrationInterface {
  name = 'Notifications1796259594421';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"email_digest_cursor\" (\"user_id\" uuid NOT NULL, \"last_notification_id\" uuid NOT NULL, \"sent_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_d3858473725246e468da4f0ae24\" PRIMARY KEY (\"user_id\"))");
    await queryRunner.query("CREATE TABLE \"notification_preference\" (\"user_id\" uuid NOT NULL, \"kind\" text NOT NULL, \"email\" boolean NOT NULL, CONSTRAINT \"PK_0f7529aefc65bd035491bb755bf\" PRIMARY KEY (\"user_id\", \"kind\"))");
    await queryRunner.query("CREATE TABLE \"notification\" (\"id\" uuid NOT NULL, \"kind\" text NOT NULL, \"project_id\" uuid, \"institution\" text, \"subject\" text NOT NULL, \"details\" jsonb NOT NULL DEFAULT '{}', \"dedupe_key\" text, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_705b6c7cdf9b2c2ff7ac7872cb7\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"IDX_c84dc29a2e741146fadedf519d\" ON \"notification\"  (\"dedupe_key\") WHERE \"dedupe_key\" IS NOT NULL");
    await queryRunner.query("CREATE INDEX \"IDX_57fb003f01de06c436097fc54f\" ON \"notification\"  (\"institution\", \"created_at\") ");
    await queryRunner.query("CREATE INDEX \"IDX_d769f3effa3c8a973984dab2e0\" ON \"notification\"  (\"project_id\", \"created_at\") ");
    await queryRunner.query("CREATE TABLE \"webhook_delivery\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"notification_id\" uuid NOT NULL, \"webhook_id\" uuid NOT NULL, \"state\" text NOT NULL DEFAULT 'PENDING', \"attempts\" integer NOT NULL DEFAULT '0', \"next_attempt_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"claimed_until\" TIMESTAMP WITH TIME ZONE, \"last_error\" text, \"delivered_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_b1ae290239a778f12399db91354\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_ef25cc28dcf88ea3dd81f39af2\" ON \"webhook_delivery\"  (\"webhook_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_fd45bd558b4faee1c156a0eedd\" ON \"webhook_delivery\"  (\"state\", \"next_attempt_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"IDX_4fae234ca812a0be8a1572e6d1\" ON \"webhook_delivery\"  (\"notification_id\", \"webhook_id\") ");
    await queryRunner.query("CREATE TABLE \"webhook\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"project_id\" uuid, \"institution\" text, \"url\" text NOT NULL, \"secret_sealed\" text NOT NULL, \"kinds\" text array NOT NULL, \"created_by\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"deleted_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_e6765510c2d078db49632b59020\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_20b9eed02cf8e7f2b8f4f81f65\" ON \"webhook\"  (\"institution\") ");
    await queryRunner.query("CREATE INDEX \"IDX_95bc3b4bf6b329b6c6dd2ed217\" ON \"webhook\"  (\"project_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"IDX_95bc3b4bf6b329b6c6dd2ed217\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_20b9eed02cf8e7f2b8f4f81f65\"");
    await queryRunner.query("DROP TABLE \"webhook\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_4fae234ca812a0be8a1572e6d1\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_fd45bd558b4faee1c156a0eedd\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_ef25cc28dcf88ea3dd81f39af2\"");
    await queryRunner.query("DROP TABLE \"webhook_delivery\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_d769f3effa3c8a973984dab2e0\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_57fb003f01de06c436097fc54f\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_c84dc29a2e741146fadedf519d\"");
    await queryRunner.query("DROP TABLE \"notification\"");
    await queryRunner.query("DROP TABLE \"notification_preference\"");
    await queryRunner.query("DROP TABLE \"email_digest_cursor\"");
  }
}
