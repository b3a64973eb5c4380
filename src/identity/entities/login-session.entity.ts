import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A browser session; the cookie holds a random token, the table its SHA-256. It belongs either to
 * a user (an OIDC login) or to the API token it was exchanged for (POST /auth/token, the sign-in
 * link), which it acts as, checked again at every use.
 */
@Entity()
@Check('("user_id" IS NULL) <> ("credential_hash" IS NULL)')
export class LoginSession {
  @PrimaryColumn('text')
  tokenHash!: string;

  /** The user of an OIDC login; null for a session made from a token. */
  @Index()
  @Column('uuid', { nullable: true })
  userId!: string | null;

  /** The SHA-256 of the token the session was made from (as api_token.token_hash); null for an OIDC login. */
  @Index()
  @Column('text', { nullable: true })
  credentialHash!: string | null;

  @Column('timestamptz')
  expiresAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
