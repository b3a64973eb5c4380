import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { NotificationKind } from '../../../common/notifier.js';

/** Something people were told of: the outbox that webhook deliveries and e-mail digests are made from. */
@Entity()
@Index(['projectId', 'createdAt'])
@Index(['institution', 'createdAt'])
export class Notification {
  /** time-ordered (UUIDv7): notifications list in the order they happened */
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  kind!: NotificationKind;

  @Column('uuid', { nullable: true })
  projectId!: string | null;

  /** the project's institution, or the site's */
  @Column('text', { nullable: true })
  institution!: string | null;

  @Column('text')
  subject!: string;

  @Column('jsonb', { default: {} })
  details!: Record<string, unknown>;

  @Index({ unique: true, where: '"dedupe_key" IS NOT NULL' })
  @Column('text', { nullable: true })
  dedupeKey!: string | null;

  @Column('timestamptz')
  createdAt!: Date;
}
