import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A one-time sign-in link the broker prints at start on the embedded database: the SHA-256 of its
 * code, the hash of the token it signs in as (the bootstrap admin's), and when it stops working.
 * Using it deletes the row.
 */
@Entity()
export class SignInLink {
  @PrimaryColumn('text')
  codeHash!: string;

  @Column('text')
  credentialHash!: string;

  @Column('timestamptz')
  expiresAt!: Date;
}
