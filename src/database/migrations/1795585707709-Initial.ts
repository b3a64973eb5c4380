import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795585707709 implements MigrationInterface {
  name = 'Initial1795585707709';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"project\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"name\" text NOT NULL, \"institution\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"UQ_dedfea394088ed136ddadeee89c\" UNIQUE (\"name\"), CONSTRAINT \"PK_4d68b1358bb5b766d3e78f32f57\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"allocation\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"project_id\" uuid NOT NULL, \"vcpus\" integer NOT NULL, \"memory_mib\" integer NOT NULL, \"gpus\" integer NOT NULL DEFAULT '0', \"instances\" integer, \"core_hours\" double precision, \"starts_at\" TIMESTAMP WITH TIME ZONE, \"ends_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_7df89c736595e454b6ae07264fe\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_76815fe3cf9ae7d884377a907b\" ON \"allocation\"  (\"project_id\") ");
    await queryRunner.query("CREATE TABLE \"api_token\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"name\" text NOT NULL, \"role\" text NOT NULL, \"project_id\" uuid, \"institution\" text, \"token_hash\" text NOT NULL, \"created_by\" text NOT NULL, \"expires_at\" TIMESTAMP WITH TIME ZONE, \"last_used_at\" TIMESTAMP WITH TIME ZONE, \"revoked_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"UQ_bafaa5aab5957cd193fb2da8f24\" UNIQUE (\"token_hash\"), CONSTRAINT \"PK_d862311c568d175c26f41bc6f98\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"site\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"name\" text NOT NULL, \"institution\" text NOT NULL, \"endpoint\" text NOT NULL, \"region\" text NOT NULL, \"access_key_id\" text NOT NULL, \"secret_access_key_sealed\" text NOT NULL, \"capacity_vcpus\" integer NOT NULL, \"capacity_memory_mib\" integer NOT NULL, \"capacity_gpus\" integer NOT NULL DEFAULT '0', \"capacity_instances\" integer, \"instance_types\" jsonb NOT NULL, \"images\" jsonb NOT NULL, \"home_share\" double precision NOT NULL DEFAULT '0', \"emulated\" boolean NOT NULL DEFAULT false, \"health\" text NOT NULL DEFAULT 'UNKNOWN', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"UQ_9669a09fcc0eb6d2794a658f647\" UNIQUE (\"name\"), CONSTRAINT \"PK_635c0eeabda8862d5b0237b42b4\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"resource_request\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"project_id\" uuid NOT NULL, \"submitted_by\" text NOT NULL, \"idempotency_key\" text, \"image\" text NOT NULL, \"vcpus\" integer NOT NULL, \"memory_mib\" integer NOT NULL, \"gpus\" integer NOT NULL DEFAULT '0', \"count\" integer NOT NULL, \"min_count\" integer NOT NULL, \"lease_hours\" double precision NOT NULL, \"sites\" text array, \"user_data\" text, \"ssh_public_key\" text, \"state\" text NOT NULL, \"reason\" text, \"reason_code\" text, \"attempt\" integer NOT NULL DEFAULT '0', \"lease_ends_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_56a7a3b97381766194707b4c834\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_6604afd2407cbb5720949c83f2\" ON \"resource_request\"  (\"project_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_0519da1b49b9c7961f1a59fc15\" ON \"resource_request\"  (\"state\", \"created_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"IDX_9509a74c2dec134e86cfaca01c\" ON \"resource_request\"  (\"submitted_by\", \"idempotency_key\") WHERE \"idempotency_key\" IS NOT NULL");
    await queryRunner.query("CREATE TABLE \"instance\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"request_id\" uuid NOT NULL, \"project_id\" uuid NOT NULL, \"site_id\" uuid NOT NULL, \"attempt\" integer NOT NULL, \"instance_type\" text NOT NULL, \"vcpus\" integer NOT NULL, \"memory_mib\" integer NOT NULL, \"gpus\" integer NOT NULL DEFAULT '0', \"site_instance_id\" text, \"state\" text NOT NULL, \"private_ip\" text, \"public_ip\" text, \"failure_code\" text, \"failure_reason\" text, \"started_at\" TIMESTAMP WITH TIME ZONE, \"ended_at\" TIMESTAMP WITH TIME ZONE, \"lease_ends_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_eaf60e4a0c399c9935413e06474\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_7caaca02a0633a4dd0e1f07a8c\" ON \"instance\"  (\"request_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_b08b535a213a478d06c7a694ad\" ON \"instance\"  (\"project_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_684abd5b9be25735776e8b18a7\" ON \"instance\"  (\"site_id\", \"state\") ");
    await queryRunner.query("CREATE TABLE \"deployment\" (\"singleton\" smallint NOT NULL DEFAULT '1', \"broker_id\" uuid NOT NULL, \"key_check\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"CHK_357d07f848c32358876d04ef10\" CHECK (\"singleton\" = 1), CONSTRAINT \"PK_ce8cbc5465d4e191d12d057171b\" PRIMARY KEY (\"singleton\"))");
    await queryRunner.query("ALTER TABLE \"allocation\" ADD CONSTRAINT \"FK_76815fe3cf9ae7d884377a907b4\" FOREIGN KEY (\"project_id\") REFERENCES \"project\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"resource_request\" ADD CONSTRAINT \"FK_6604afd2407cbb5720949c83f29\" FOREIGN KEY (\"project_id\") REFERENCES \"project\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"instance\" ADD CONSTRAINT \"FK_7caaca02a0633a4dd0e1f07a8c0\" FOREIGN KEY (\"request_id\") REFERENCES \"resource_request\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"instance\" ADD CONSTRAINT \"FK_cf79bd8d2df789f9847fed40fc5\" FOREIGN KEY (\"site_id\") REFERENCES \"site\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"instance\" DROP CONSTRAINT \"FK_cf79bd8d2df789f9847fed40fc5\"");
    await queryRunner.query("ALTER TABLE \"instance\" DROP CONSTRAINT \"FK_7caaca02a0633a4dd0e1f07a8c0\"");
    await queryRunner.query("ALTER TABLE \"resource_request\" DROP CONSTRAINT \"FK_6604afd2407cbb5720949c83f29\"");
    await queryRunner.query("ALTER TABLE \"allocation\" DROP CONSTRAINT \"FK_76815fe3cf9ae7d884377a907b4\"");
    await queryRunner.query("DROP TABLE \"deployment\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_684abd5b9be25735776e8b18a7\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_b08b535a213a478d06c7a694ad\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_7caaca02a0633a4dd0e1f07a8c\"");
    await queryRunner.query("DROP TABLE \"instance\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_9509a74c2dec134e86cfaca01c\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_0519da1b49b9c7961f1a59fc15\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_6604afd2407cbb5720949c83f2\"");
    await queryRunner.query("DROP TABLE \"resource_request\"");
    await queryRunner.query("DROP TABLE \"site\"");
    await queryRunner.query("DROP TABLE \"api_token\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_76815fe3cf9ae7d884377a907b\"");
    await queryRunner.query("DROP TABLE \"allocation\"");
    await queryRunner.query("DROP TABLE \"project\"");
  }
}
