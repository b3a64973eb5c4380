import type { MigrationInterface, QueryRunner } from 'typeorm';

export class WorkerPools1796232436313 implements MigrationInterface {
  name = 'WorkerPools1796232436313';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"worker_pool_member\" (\"request_id\" uuid NOT NULL, \"pool_id\" uuid NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_937544d85d518b3bc58f75f45b3\" PRIMARY KEY (\"request_id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_282e21d0e5d8863d4d70ef1493\" ON \"worker_pool_member\"  (\"pool_id\") ");
    await queryRunner.query("CREATE TABLE \"worker_pool\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"project_id\" uuid NOT NULL, \"name\" text NOT NULL, \"created_by\" text NOT NULL, \"image\" text NOT NULL, \"vcpus\" integer NOT NULL, \"memory_mib\" integer NOT NULL, \"gpus\" integer NOT NULL DEFAULT '0', \"user_data\" text, \"lease_hours\" numeric NOT NULL, \"min_size\" integer NOT NULL, \"max_size\" integer NOT NULL, \"desired_size\" integer NOT NULL, \"state\" text NOT NULL DEFAULT 'ACTIVE', \"refusal\" text, \"submitted\" integer NOT NULL DEFAULT '0', \"emptied_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_72d28412795dc722d30a00e2310\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_eacd82b66150f24e72c3f12e66\" ON \"worker_pool\"  (\"project_id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"IDX_31dd18023ea8b7aebb93980064\" ON \"worker_pool\"  (\"project_id\", \"name\") WHERE \"state\" = 'ACTIVE'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"IDX_31dd18023ea8b7aebb93980064\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_eacd82b66150f24e72c3f12e66\"");
    await queryRunner.query("DROP TABLE \"worker_pool\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_282e21d0e5d8863d4d70ef1493\"");
    await queryRunner.query("DROP TABLE \"worker_pool_member\"");
  }
}
