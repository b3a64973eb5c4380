import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

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

@Entity()
export class Site {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text', { unique: true })
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

  @Column('jsonb')
  instanceTypes!: InstanceTypeSpec[];

  @Column('jsonb')
  images!: ImageMappingSpec[];

  @Column('double precision', { default: 0 })
  homeShare!: number;

  @Column('boolean', { default: false })
  emulated!: boolean;

  @Column('text', { default: 'UNKNOWN' })
  health!: SiteHealth;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
