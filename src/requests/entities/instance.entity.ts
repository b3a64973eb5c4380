import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, UpdateDateColumn } from 'typeorm';
import { Site } from '../../sites/entities/site.entity.js';
import { ResourceRequest } from './resource-request.entity.js';
import type { InstanceState } from '../instance-state.js';

/**
 * One virtual machine of a request at a site. While it is in a state that holds resources,
 * its vCPUs, memory and GPUs (the instance type's, not the request's) count against the
 * project's quota and the site's capacity.
 */
@Entity()
@Index(['siteId', 'state'])
export class Instance {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column('uuid')
  requestId!: string;

  @ManyToOne(() => ResourceRequest, { onDelete: 'RESTRICT' })
  @JoinColumn()
  request?: Relation<ResourceRequest>;

  @Index()
  @Column('uuid')
  projectId!: string;

  @Column('uuid')
  siteId!: string;

  @ManyToOne(() => Site, { onDelete: 'RESTRICT' })
  @JoinColumn()
  site?: Relation<Site>;

  @Column('int')
  attempt!: number;

  @Column('text')
  instanceType!: string;

  @Column('int')
  vcpus!: number;

  @Column('int')
  memoryMib!: number;

  @Column('int', { default: 0 })
  gpus!: number;

  @Column('text', { nullable: true })
  siteInstanceId!: string | null;

  /** Placed on the unused home share of a site of another institution. */
  @Column('boolean', { default: false })
  borrowed!: boolean;

  /** When the site first reported it (pending); it must run within SKYPOOL_PENDING_TIMEOUT_SECONDS. */
  @Column('timestamptz', { nullable: true })
  pendingSince!: Date | null;

  /** RunInstances calls for this placement that failed with a transient error so far. */
  @Column('int', { default: 0 })
  tries!: number;

  /** A placement that failed transiently is tried again from then on (exponential backoff with jitter). */
  @Column('timestamptz', { nullable: true })
  nextAttemptAt!: Date | null;

  /** The broker process working on this placement, until when: another takes over after a crash. */
  @Column('text', { nullable: true })
  claimedBy!: string | null;

  @Column('timestamptz', { nullable: true })
  claimedUntil!: Date | null;

  /** Minutes of run time charged so far (per started minute). */
  @Column('int', { default: 0 })
  chargedMinutes!: number;

  @Column('text')
  state!: InstanceState;

  @Column('text', { nullable: true })
  privateIp!: string | null;

  @Column('text', { nullable: true })
  publicIp!: string | null;

  /** Why it failed, as a reason code (SITE_CAPACITY, NODE_DISAPPEARED, ...) and in words. */
  @Column('text', { nullable: true })
  failureCode!: string | null;

  @Column('text', { nullable: true })
  failureReason!: string | null;

  @Column('timestamptz', { nullable: true })
  startedAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  endedAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  leaseEndsAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
