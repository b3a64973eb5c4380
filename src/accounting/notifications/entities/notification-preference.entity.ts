import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { NotificationKind } from '../../../common/notifier.js';

/** A kind of notification a person turned off for their e-mail digest (coldfront #412: too many e-mails). */
@Entity()
export class NotificationPreference {
  @PrimaryColumn('uuid')
  userId!: string;

  @PrimaryColumn('text')
  kind!: NotificationKind;

  @Column('boolean')
  email!: boolean;
}
