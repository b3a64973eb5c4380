import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tokens remember the token they were made with (cascade revocation); users whether their e-mail address was verified. */
export class IdentityHardening1796186710266 implements MigrationInterface {
  name = 'IdentityHardening1796186710266';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"api_token\" ADD \"parent_token_id\" uuid");
    await queryRunner.query("ALTER TABLE \"user\" ADD \"email_verified\" boolean NOT NULL DEFAULT false");
    // what the provider said at the user's last login (a boolean, or the string some providers send)
    await queryRunner.query("UPDATE \"user\" SET \"email_verified\" = true WHERE \"last_claims\"->>'email_verified' = 'true'");
    await queryRunner.query("CREATE INDEX \"IDX_0bfef9ff09446423813d533d05\" ON \"api_token\"  (\"parent_token_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"IDX_0bfef9ff09446423813d533d05\"");
    await queryRunner.query("ALTER TABLE \"user\" DROP COLUMN \"email_verified\"");
    await queryRunner.query("ALTER TABLE \"api_token\" DROP COLUMN \"parent_token_id\"");
  }
}
