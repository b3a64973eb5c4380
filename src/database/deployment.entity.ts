import { Check, Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Exactly one row: who this deployment is. `brokerId` is the `skypool:broker` tag on every
 * instance, shared by every broker process on this database; `keyCheck` proves which secret
 * key sealed the stored credentials.
 */
@Entity()
@Check('"singleton" = 1')
export class Deployment {
  @PrimaryColumn('smallint', { default: 1 })
  singleton!: number;

  @Column('uuid')
  brokerId!: string;

  @Column('text')
  keyCheck!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
