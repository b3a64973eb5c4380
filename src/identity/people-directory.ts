import { Injectable } from '@nestjs/common';
import { In, IsNull, Not } from 'typeorm';
import { groupBy } from '../common/group-by.js';
import { Db } from '../database/db.js';
import { RoleGrant } from './entities/role-grant.entity.js';
import { User } from './entities/user.entity.js';

export interface Person {
  userId: string;
  email: string;
  name: string | null;
  grants: Pick<RoleGrant, 'role' | 'projectId' | 'institution'>[];
}

/** The people identity knows, for those who write to them (the e-mail digests): whom to reach and what they hold. */
@Injectable()
export class PeopleDirectory {
  constructor(private readonly db: Db) {}

  /** People whose identity provider verified their e-mail address, with their roles; never an unverified address. */
  async withVerifiedEmail(): Promise<Person[]> {
    const users = await this.db.manager.getRepository(User).find({ where: { email: Not(IsNull()), emailVerified: true }, order: { createdAt: 'ASC' } });
    if (users.length === 0) return [];
    const grants = groupBy(await this.db.manager.getRepository(RoleGrant).findBy({ userId: In(users.map((u) => u.id)) }), (g) => g.userId);
    return users.map((u) => ({
      userId: u.id,
      email: u.email!,
      name: u.displayName,
      grants: (grants.get(u.id) ?? []).map((g) => ({ role: g.role, projectId: g.projectId, institution: g.institution })),
    }));
  }
}
