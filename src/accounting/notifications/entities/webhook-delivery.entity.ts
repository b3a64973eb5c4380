import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type DeliveryState = 'PENDING' | 'DELIVERED' | 'FAILED';

/** One notification to one webhook: tried until the receiver answers 2xx, with backoff, a few times. */
@Entity()
@Index(['notificationId', 'webhookId'], { unique: true })
@Index(['state', 'nextAttemptAt'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  notificationId!: string;

  @Index()
  @Column('uuid')
  webhookId!: string;

  @Column('text', { default: 'PENDING' })
  state!: DeliveryState;

  @Column('int', { default: 0 })
  attempts!: number;

  @Column('timestamptz')
  nextAttemptAt!: Date;

  /** a broker process is sending it until then; after a crash another sends it again */
  @Column('timestamptz', { nullable: true })
  claimedUntil!: Date | null;

  @Column('text', { nullable: true })
  lastError!: string | null;

  @Column('timestamptz', { nullable: true })
  deliveredAt!: Date | null;
}
