import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { exactNumber } from '../../database/column-transformers.js';
import { Project } from './project.entity.js';

/** Concurrent limits (and optional core-hour and GPU-hour budgets) granted to a project. */
@Entity()
export class Allocation {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column('uuid')
  projectId!: string;

  @ManyToOne(() => Project, { onDelete: 'RESTRICT' })
  @JoinColumn()
  project?: Relation<Project>;

  @Column('int')
  vcpus!: number;

  @Column('int')
  memoryMib!: number;

  @Column('int', { default: 0 })
  gpus!: number;

  @Column('int', { nullable: true })
  instances!: number | null;

  /**
   * Budgets in hours exactly as granted (`numeric`: the API takes fractional hours). Charges are
   * whole unit-minutes; they are compared with `budgetMinutes` of these.
   */
  @Column('numeric', { nullable: true, transformer: exactNumber })
  coreHours!: number | null;

  @Column('numeric', { nullable: true, transformer: exactNumber })
  gpuHours!: number | null;

  @Column('timestamptz', { nullable: true })
  startsAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  endsAt!: Date | null;

  /** Set by revokeAllocation: it stops counting at once. */
  @Column('timestamptz', { nullable: true })
  revokedAt!: Date | null;

  /** When a charge used up its core-hour or GPU-hour budget. */
  @Column('timestamptz', { nullable: true })
  exhaustedAt!: Date | null;

  /**
   * When it ends, is revoked or runs out of budget: null lets running leases finish; a number
   * terminates what the project's remaining allocations no longer cover after that many minutes.
   */
  @Column('int', { nullable: true })
  terminateAfterMinutes!: number | null;

  /** When what it no longer covers was terminated (after `terminateAfterMinutes`); once only. */
  @Column('timestamptz', { nullable: true })
  enforcedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
