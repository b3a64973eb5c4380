import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last allocator cycle's figures (one row), whichever broker process ran it. */
@Entity()
export class AllocatorCycle {
  /** Always 1. */
  @PrimaryColumn('int')
  id!: number;

  @Column('timestamptz')
  finishedAt!: Date;

  /** A measured time, not money: a float is right. */
  @Column('double precision')
  durationSeconds!: number;

  @Column('int')
  considered!: number;

  @Column('int')
  matched!: number;

  /** Cycles run since the deployment began. */
  @Column('bigint')
  cycles!: string;
}
