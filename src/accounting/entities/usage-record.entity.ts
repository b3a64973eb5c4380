import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { exactNumber } from '../../database/column-transformers.js';

/**
 * Run time of one instance charged against one allocation's budget (none when no allocation was
 * in force), per started minute: one row per stretch of minutes an instance charged to the same
 * allocation, grown by each charge in the transaction that moves the instance's `chargedMinutes`.
 * A budget left is what was granted less the sum of its rows, so it always agrees with the
 * instances. Its minutes are the instance's minutes `periodStart`, `periodStart` + 1 min, ...
 * (`minutes` of them), so a report can cut a stretch at any period's edge exactly.
 *
 * A record also keeps what the instance was (its size, image, type) and whose it was (the
 * institutions of the site and of the project) when it was charged: the facts the usage reports,
 * the APEL records and the federation's balance are made of.
 */
@Entity()
@Index(['allocationId'])
@Index(['projectId'])
@Index(['periodStart'])
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

  /** The institution the site belongs to (the lender). */
  @Column('text')
  siteInstitution!: string;

  /** The institution the project belongs to (the borrower, when it is another). */
  @Column('text')
  projectInstitution!: string;

  @Column('text')
  image!: string;

  @Column('text')
  instanceType!: string;

  @Column('int')
  vcpus!: number;

  @Column('int')
  gpus!: number;

  @Column('int')
  memoryMib!: number;

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
