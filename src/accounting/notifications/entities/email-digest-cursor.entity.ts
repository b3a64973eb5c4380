import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How far a person's e-mail digests have come: the newest notification sent them. */
@Entity()
export class EmailDigestCursor {
  @PrimaryColumn('uuid')
  userId!: string;

  @Column('uuid')
  lastNotificationId!: string;

  @Column('timestamptz')
  sentAt!: Date;
}
