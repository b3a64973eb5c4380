import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A browser session after an OIDC login; the cookie holds a random token, the table its SHA-256. */
@Entity()
export class LoginSession {
  @PrimaryColumn('text')
  tokenHash!: string;

  @Index()
  @Column('uuid')
  userId!: string;

  @Column('timestamptz')
  expiresAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
