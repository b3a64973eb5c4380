import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Project } from './project.entity.js';

/** Concurrent limits (and an optional core-hour budget) granted to a project. */
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

  @Column('double precision', { nullable: true })
  coreHours!: number | null;

  @Column('timestamptz', { nullable: true })
  startsAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  endsAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
