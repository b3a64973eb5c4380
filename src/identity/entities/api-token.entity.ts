import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '../principal.js';

/** A bearer token of a service account or a user; only its SHA-256 is stored. */
@Entity()
export class ApiToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text')
  role!: Role;

  @Column('uuid', { nullable: true })
  projectId!: string | null;

  @Column('text', { nullable: true })
  institution!: string | null;

  @Column('text', { unique: true })
  tokenHash!: string;

  @Column('text')
  createdBy!: string;

  /** The token its maker authenticated with, if any: revoking that one revokes this one. */
  @Index()
  @Column('uuid', { nullable: true })
  parentTokenId!: string | null;

  /** A user's own token acts as that user (within `operations`); null for a service account. */
  @Column('uuid', { nullable: true })
  userId!: string | null;

  /** GraphQL operation names this token may call; null: all its role allows. */
  @Column('text', { array: true, nullable: true })
  operations!: string[] | null;

  @Column('timestamptz', { nullable: true })
  expiresAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
