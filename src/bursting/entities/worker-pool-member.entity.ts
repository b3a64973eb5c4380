import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A request a worker pool submitted; the request's own state says whether the member still counts. */
@Entity()
export class WorkerPoolMember {
  @PrimaryColumn('uuid')
  requestId!: string;

  @Index()
  @Column('uuid')
  poolId!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
