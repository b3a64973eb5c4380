import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Browser sessions made from an API token (POST /auth/token) rather than an OIDC login, and the one-time sign-in links printed at start. */
export class TokenSessions1796281797570 implements MigrationInterface {
  name = 'TokenSessions1796281797570';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"sign_in_link\" (\"code_hash\" text NOT NULL, \"credential_hash\" text NOT NULL, \"expires_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_e2b5d826570636acf05ee5ff7e2\" PRIMARY KEY (\"code_hash\"))");
    await queryRunner.query("ALTER TABLE \"login_session\" ADD \"credential_hash\" text");
    await queryRunner.query("ALTER TABLE \"login_session\" ALTER COLUMN \"user_id\" DROP NOT NULL");
    await queryRunner.query("CREATE INDEX \"IDX_f4e5195e3d96337605e63ae6ac\" ON \"login_session\"  (\"credential_hash\") ");
    await queryRunner.query("ALTER TABLE \"login_session\" ADD CONSTRAINT \"CHK_05dd3a3749703a316ae47dee5e\" CHECK ((\"user_id\" IS NULL) <> (\"credential_hash\" IS NULL))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"login_session\" DROP CONSTRAINT \"CHK_05dd3a3749703a316ae47dee5e\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_f4e5195e3d96337605e63ae6ac\"");
    // sessions made from a token have no user: they end
    await queryRunner.query("DELETE FROM \"login_session\" WHERE \"user_id\" IS NULL");
    await queryRunner.query("ALTER TABLE \"login_session\" ALTER COLUMN \"user_id\" SET NOT NULL");
    await queryRunner.query("ALTER TABLE \"login_session\" DROP COLUMN \"credential_hash\"");
    await queryRunner.query("DROP TABLE \"sign_in_link\"");
  }
}
