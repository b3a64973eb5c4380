import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Identity1795588057623 implements MigrationInterface {
  name = 'Identity1795588057623';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"audit_event\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"actor_id\" text NOT NULL, \"actor_name\" text NOT NULL, \"action\" text NOT NULL, \"target_type\" text NOT NULL, \"target_id\" text NOT NULL, \"before\" jsonb, \"after\" jsonb, CONSTRAINT \"PK_481efbe8b0a403efe3f47a6528f\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_45452915f68f5a171bc4107b9e\" ON \"audit_event\"  (\"action\") ");
    await queryRunner.query("CREATE INDEX \"IDX_06d570d7d1b40fbc994b5955be\" ON \"audit_event\"  (\"at\") ");
    await queryRunner.query("CREATE TABLE \"login_session\" (\"token_hash\" text NOT NULL, \"user_id\" uuid NOT NULL, \"expires_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_c3757a2cd6f1ec3647be0aeda6a\" PRIMARY KEY (\"token_hash\"))");
    await queryRunner.query("CREATE INDEX \"IDX_1ab0019b1dcfb7c79a4257e8f2\" ON \"login_session\"  (\"user_id\") ");
    await queryRunner.query("CREATE TABLE \"role_grant\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"user_id\" uuid NOT NULL, \"role\" text NOT NULL, \"project_id\" uuid, \"institution\" text, \"source\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_b9e50aafa723c536731c38529fb\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_cbca8b01eca20fa033ef14946b\" ON \"role_grant\"  (\"user_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_91dd7b37cbdbad95ca647e317e\" ON \"role_grant\"  (\"project_id\") ");
    await queryRunner.query("CREATE TABLE \"user\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"issuer\" text NOT NULL, \"subject\" text NOT NULL, \"email\" text, \"display_name\" text, \"last_claims\" jsonb NOT NULL DEFAULT '{}', \"last_login_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_cace4a159ff9f2512dd42373760\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"IDX_04feb441dfb99688a1387ae038\" ON \"user\"  (\"issuer\", \"subject\") ");
    await queryRunner.query("ALTER TABLE \"api_token\" ADD \"user_id\" uuid");
    await queryRunner.query("ALTER TABLE \"api_token\" ADD \"operations\" text array");
    await queryRunner.query("CREATE UNIQUE INDEX \"UQ_role_grant_scope\" ON \"role_grant\" (\"user_id\", \"role\", \"source\", coalesce(\"project_id\"::text, ''), coalesce(\"institution\", ''))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"UQ_role_grant_scope\"");
    await queryRunner.query("ALTER TABLE \"api_token\" DROP COLUMN \"operations\"");
    await queryRunner.query("ALTER TABLE \"api_token\" DROP COLUMN \"user_id\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_04feb441dfb99688a1387ae038\"");
    await queryRunner.query("DROP TABLE \"user\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_91dd7b37cbdbad95ca647e317e\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_cbca8b01eca20fa033ef14946b\"");
    await queryRunner.query("DROP TABLE \"role_grant\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_1ab0019b1dcfb7c79a4257e8f2\"");
    await queryRunner.query("DROP TABLE \"login_session\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_06d570d7d1b40fbc994b5955be\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_45452915f68f5a171bc4107b9e\"");
    await queryRunner.query("DROP TABLE \"audit_event\"");
  }
}
