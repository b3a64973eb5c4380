import { NO_NETWORK_SETTINGS, type RunNetworkSettings, type TagMode } from '../../compute/compute-driver.js';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { exactNumber } from '../../database/column-transformers.js';

export interface InstanceTypeSpec {
  name: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
}

export interface ImageMappingSpec {
  image: string;
  imageId: string;
}

export type SiteHealth = 'UNKNOWN' | 'HEALTHY' | 'DEGRADED' | 'DOWN';

/** What RunInstances asks for on the site's network; unset fields are left to the site's defaults. */
export type NetworkSettings = RunNetworkSettings;
export type { TagMode };

/** A removed site keeps its row (instances refer to it) and frees its name. */
@Entity()
@Index('UQ_site_name_live', ['name'], { unique: true, where: '"removed_at" IS NULL' })
export class Site {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text')
  institution!: string;

  @Column('text')
  endpoint!: string;

  @Column('text')
  region!: string;

  @Column('text')
  accessKeyId!: string;

  /** AES-256-GCM under SKYPOOL_SECRET_KEY; never leaves the server. */
  @Column('text')
  secretAccessKeySealed!: string;

  @Column('int')
  capacityVcpus!: number;

  @Column('int')
  capacityMemoryMib!: number;

  @Column('int', { default: 0 })
  capacityGpus!: number;

  @Column('int', { nullable: true })
  capacityInstances!: number | null;

  /** The zones the site's descriptor names; the health probe checks the site still offers them. */
  @Column('jsonb', { default: [] })
  availabilityZones!: string[];

  @Column('jsonb')
  instanceTypes!: InstanceTypeSpec[];

  @Column('jsonb')
  images!: ImageMappingSpec[];

  /** 0..1 as given, exactly (`numeric`): the pooled part is computed from it in whole units. */
  @Column('numeric', { default: 0, transformer: exactNumber })
  homeShare!: number;

  /** Whether other institutions may borrow the home share while the site's own institution leaves it unused. */
  @Column('boolean', { default: false })
  lendsHomeShare!: boolean;

  /** e.g. { gpu: 'a100', network: 'infiniband' }, matched by requests' requirements. */
  @Column('jsonb', { default: {} })
  labels!: Record<string, string>;

  @Column('jsonb', { default: NO_NETWORK_SETTINGS })
  network!: NetworkSettings;

  @Column('text', { default: 'ON_CREATE' })
  tagMode!: TagMode;

  @Column('boolean', { default: false })
  emulated!: boolean;

  /** Set by drainSite: no new placements; running leases finish. */
  @Column('timestamptz', { nullable: true })
  drainingSince!: Date | null;

  @Column('timestamptz', { nullable: true })
  removedAt!: Date | null;

  /** DOWN is the open circuit: the allocator places nothing there until a probe succeeds. */
  @Column('text', { default: 'UNKNOWN' })
  health!: SiteHealth;

  @Column('timestamptz', { default: () => 'now()' })
  healthSince!: Date;

  @Column('timestamptz', { nullable: true })
  healthCheckedAt!: Date | null;

  @Column('int', { nullable: true })
  healthLatencyMs!: number | null;

  @Column('text', { nullable: true })
  healthError!: string | null;

  /** Failed calls in a row (probes and provisioning); reset by any success. */
  @Column('int', { default: 0 })
  consecutiveFailures!: number;

  /** Successful answers the broker could not read (an EC2 dialect the SDK does not parse); not failures. */
  @Column('int', { default: 0 })
  malformedReplies!: number;

  /** The last of them, in words, and when it came. */
  @Column('text', { nullable: true })
  lastMalformedReply!: string | null;

  @Column('timestamptz', { nullable: true })
  lastMalformedReplyAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
