import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { exactNumber } from '../../database/column-transformers.js';

/**
 * Run time of one instance charged against one allocation's budget (none when no allocation was
 * in force), per started minute: one row per instance and allocation, grown by each charge in
 * the transaction that moves the instance's `chargedMinutes`. A budget left is what was granted
 * less the sum of its rows, so it always agrees with the instances.
 */
@Entity()
@Index(['allocationId'])
@Index(['projectId'])
export class UsageRecord {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  projectId!: string;

  @Column('uuid', { nullable: true })
  allocationId!: string | null;

  @Index()
  @Column('uuid')
  instanceId!: string;

  @Column('uuid')
  requestId!: string;

  @Column('uuid')
  siteId!: string;

  @Column('int')
  minutes!: number;

  /** vCPUs x started minutes: whole numbers, so sums are exact (hours are minutes / 60, at the edge). */
  @Column('bigint', { transformer: exactNumber })
  vcpuMinutes!: number;

  @Column('bigint', { transformer: exactNumber })
  gpuMinutes!: number;

  @Column('timestamptz')
  periodStart!: Date;

  @Column('timestamptz')
  periodEnd!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
