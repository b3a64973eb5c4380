import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity()
export class Project {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text', { unique: true })
  name!: string;

  @Column('text')
  institution!: string;

  /** HTCondor-style: a project with factor 2 gets half the share of one with factor 1. A weight, not money: a float. */
  @Column('double precision', { default: 1 })
  priorityFactor!: number;

  /**
   * Core-hours charged, decayed with the fair-share half-life as of `usageDecayedAt`. A float on
   * purpose: a score that orders projects, never money (the ledger is `usage_record`).
   */
  @Column('double precision', { default: 0 })
  decayedUsage!: number;

  @Column('timestamptz', { nullable: true })
  usageDecayedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
