import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { NotificationKind } from '../../../common/notifier.js';

/** Where a project's or an institution's notifications are POSTed, signed with its secret. */
@Entity()
@Index(['projectId'])
@Index(['institution'])
export class Webhook {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** a project's webhook hears of the project */
  @Column('uuid', { nullable: true })
  projectId!: string | null;

  /** an institution's hears of its projects and its sites */
  @Column('text', { nullable: true })
  institution!: string | null;

  @Column('text')
  url!: string;

  /** HMAC-SHA256 key of the signatures, sealed under SKYPOOL_SECRET_KEY (see key rotation) */
  @Column('text')
  secretSealed!: string;

  /** the kinds it is sent; the others are turned off */
  @Column('text', { array: true })
  kinds!: NotificationKind[];

  @Column('text')
  createdBy!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { nullable: true })
  deletedAt!: Date | null;
}
