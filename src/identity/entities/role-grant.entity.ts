import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '../principal.js';

/**
 * One role a user holds in a scope: a project (RESEARCHER, PROJECT_MANAGER), an institution
 * (SITE_ADMIN, or PROJECT_MANAGER of all its projects) or the federation (FEDERATION_ADMIN).
 * `source` says who gave it: an admin or project manager ('manual'), or the claim mapping at
 * login ('claims', replaced at every login).
 */
@Entity()
// one grant per (user, role, scope, source); written by hand in the migration (an expression index
// over the nullable scope columns), so TypeORM leaves it alone
@Index('UQ_role_grant_scope', { synchronize: false })
export class RoleGrant {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column('uuid')
  userId!: string;

  @Column('text')
  role!: Role;

  @Index()
  @Column('uuid', { nullable: true })
  projectId!: string | null;

  @Column('text', { nullable: true })
  institution!: string | null;

  @Column('text')
  source!: 'manual' | 'claims';

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
