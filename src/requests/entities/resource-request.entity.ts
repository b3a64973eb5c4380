import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { exactNumber } from '../../database/column-transformers.js';
import { Project } from '../../allocations/entities/project.entity.js';
import type { RequestState } from '../request-state.js';

@Entity()
@Index(['submittedBy', 'idempotencyKey'], { unique: true, where: '"idempotency_key" IS NOT NULL' })
@Index(['state', 'createdAt'])
export class ResourceRequest {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column('uuid')
  projectId!: string;

  @ManyToOne(() => Project, { onDelete: 'RESTRICT' })
  @JoinColumn()
  project?: Relation<Project>;

  /** The principal that submitted it (a user or a service account). */
  @Column('text')
  submittedBy!: string;

  @Column('text', { nullable: true })
  idempotencyKey!: string | null;

  @Column('text')
  image!: string;

  @Column('int')
  vcpus!: number;

  @Column('int')
  memoryMib!: number;

  @Column('int', { default: 0 })
  gpus!: number;

  @Column('int')
  count!: number;

  @Column('int')
  minCount!: number;

  /** As given, exactly (`numeric`): the lease end is computed from it to the millisecond. */
  @Column('numeric', { transformer: exactNumber })
  leaseHours!: number;

  /** Allowed site names; null means any. */
  @Column('text', { array: true, nullable: true })
  sites!: string[] | null;

  /** Site labels it needs: `key=value`, or `key` for any value. */
  @Column('text', { array: true, default: '{}' })
  requirements!: string[];

  /** Site names ranked first among equally good candidates. */
  @Column('text', { array: true, default: '{}' })
  preferredSites!: string[];

  /** Whether its instances may be spread over several sites. */
  @Column('boolean', { default: false })
  spanSites!: boolean;

  @Column('text', { nullable: true })
  userData!: string | null;

  @Column('text', { nullable: true })
  sshPublicKey!: string | null;

  /** The submitter's labels (validTags), copied onto its instances at the site; listings filter on them with `@>`. */
  @Index({ type: 'gin' })
  @Column('jsonb', { default: {} })
  tags!: Record<string, string>;

  @Column('text')
  state!: RequestState;

  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('text', { nullable: true })
  reasonCode!: string | null;

  /** Placement attempts so far; the current one is in the `skypool:attempt` tag. */
  @Column('int', { default: 0 })
  attempt!: number;

  @Column('timestamptz', { nullable: true })
  leaseEndsAt!: Date | null;

  /** When the lease-ending notice was given (once per lease end). */
  @Column('timestamptz', { nullable: true })
  leaseWarnedAt!: Date | null;

  /** A gang: when the allocator first held capacity for it (see ReservationPolicy); null: never. */
  @Column('timestamptz', { nullable: true })
  reservedSince!: Date | null;

  /** The sites that held capacity for it in the last cycle that did. */
  @Column('uuid', { array: true, nullable: true })
  reservedSiteIds!: string[] | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
