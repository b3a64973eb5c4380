import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A person, known by the identity provider that logged them in (issuer + subject). */
@Entity()
@Index(['issuer', 'subject'], { unique: true })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  issuer!: string;

  @Column('text')
  subject!: string;

  @Column('text', { nullable: true })
  email!: string | null;

  /** Whether the identity provider said it verified `email` (email_verified); only a verified address finds the user. */
  @Column('boolean', { default: false })
  emailVerified!: boolean;

  @Column('text', { nullable: true })
  displayName!: string | null;

  /** The last ID token's claims, for the mapping dry run and support questions. */
  @Column('jsonb', { default: {} })
  lastClaims!: Record<string, unknown>;

  @Column('timestamptz', { nullable: true })
  lastLoginAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
