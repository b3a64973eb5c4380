import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One administrative change: who, what, before and after (secrets redacted), when. */
@Entity()
@Index(['at'])
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at!: Date;

  @Column('text')
  actorId!: string;

  @Column('text')
  actorName!: string;

  /** e.g. site.register, project.create, allocation.grant, token.create, member.add */
  @Index()
  @Column('text')
  action!: string;

  @Column('text')
  targetType!: string;

  @Column('text')
  targetId!: string;

  @Column('jsonb', { nullable: true })
  before!: Record<string, unknown> | null;

  @Column('jsonb', { nullable: true })
  after!: Record<string, unknown> | null;
}
