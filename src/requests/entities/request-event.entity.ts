import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One step in a request's history: a state change of the request or of one of its instances, or
 * a notice such as a lease about to end. Written in the transaction of the change itself.
 */
@Entity()
@Index(['requestId', 'at'])
export class RequestEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  requestId!: string;

  /** Set when the event is about one instance. */
  @Column('uuid', { nullable: true })
  instanceId!: string | null;

  @Column('uuid', { nullable: true })
  siteId!: string | null;

  /** REQUEST_STATE, INSTANCE_STATE or a notice such as LEASE_ENDING. */
  @Column('text')
  kind!: string;

  @Column('text', { nullable: true })
  fromState!: string | null;

  @Column('text', { nullable: true })
  toState!: string | null;

  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('text', { nullable: true })
  reasonCode!: string | null;

  @Column('timestamptz')
  at!: Date;
}
