import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { exactNumber } from '../../database/column-transformers.js';

export type WorkerPoolState = 'ACTIVE' | 'DELETED';

/**
 * "Keep N workers of this shape running" for a pilot system (HTCondor, GlideinWMS, DIRAC): the
 * broker submits, replaces and ends member requests so that `desiredSize` of them run.
 */
@Entity()
@Index(['projectId', 'name'], { unique: true, where: `"state" = 'ACTIVE'` })
export class WorkerPool {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column('uuid')
  projectId!: string;

  @Column('text')
  name!: string;

  /** The principal that made it; its members are submitted by the pool itself. */
  @Column('text')
  createdBy!: string;

  @Column('text')
  image!: string;

  @Column('int')
  vcpus!: number;

  @Column('int')
  memoryMib!: number;

  @Column('int', { default: 0 })
  gpus!: number;

  @Column('text', { nullable: true })
  userData!: string | null;

  @Column('numeric', { transformer: exactNumber })
  leaseHours!: number;

  @Column('int')
  minSize!: number;

  @Column('int')
  maxSize!: number;

  @Column('int')
  desiredSize!: number;

  @Column('text', { default: 'ACTIVE' })
  state!: WorkerPoolState;

  /** Why the last member could not be submitted (the broker refused it), until one is. */
  @Column('text', { nullable: true })
  refusal!: string | null;

  /** How many member requests the pool has submitted in all: the next one's idempotency key. */
  @Column('int', { default: 0 })
  submitted!: number;

  /** Set once a deleted pool has no member left running: it needs no more passes. */
  @Column('timestamptz', { nullable: true })
  emptiedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
