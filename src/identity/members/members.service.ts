import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In } from 'typeorm';
import { AuditService } from '../../audit/audit.service.js';
import { LOGGER } from '../../common/logging.js';
import { isUuid, requireText } from '../../common/validation.js';
import { Db } from '../../database/db.js';
import { RoleGrant } from '../entities/role-grant.entity.js';
import { User } from '../entities/user.entity.js';
import type { Principal, Role } from '../principal.js';
import { IdentityError, IdentityErrorCode } from '../identity.errors.js';

export interface Member {
  user: User;
  role: Role;
  source: string;
}

const MEMBER_ROLES: Role[] = ['RESEARCHER', 'PROJECT_MANAGER'];

/** Project membership: a user's RESEARCHER or PROJECT_MANAGER grant in a project. */
@Injectable()
export class MembersService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private async findUser(input: { userId?: string | null; email?: string | null }): Promise<User> {
    const repo = this.db.manager.getRepository(User);
    if (input.userId) {
      const user = isUuid(input.userId) ? await repo.findOneBy({ id: input.userId }) : null;
      if (!user) throw IdentityError.notFound(IdentityErrorCode.UserNotFound, input.userId);
      return user;
    }
    if (!input.email) throw IdentityError.about(IdentityErrorCode.InvalidSettings, 'userId', 'give the user by userId or by email');
    requireText('email', input.email, 320);
    const email = input.email.trim();
    // an address the identity provider did not verify could be anyone's claim to it
    const users = await repo.findBy({ email, emailVerified: true });
    if (users.length === 0) {
      throw new IdentityError(
        IdentityErrorCode.UserNotFound,
        `no user has logged in with the verified address ${email}: they must have logged in once, at a provider that verifies addresses; or give their userId (\`me\` shows it to them)`,
      );
    }
    if (users.length > 1) throw IdentityError.about(IdentityErrorCode.InvalidSettings, 'email', `${users.length} users have this email (from different identity providers): give userId`);
    return users[0]!;
  }

  /** (Who may, and that the project exists: Permission.ManageMembers, on the project.) */
  async add(principal: Principal, input: { projectId: string; userId?: string | null; email?: string | null; role: Role }): Promise<Member> {
    const project = { id: input.projectId };
    if (!MEMBER_ROLES.includes(input.role)) throw IdentityError.about(IdentityErrorCode.InvalidSettings, 'role', 'a project member is a RESEARCHER or a PROJECT_MANAGER');
    const user = await this.findUser(input);
    await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(RoleGrant);
      const existing = await repo.findBy({ userId: user.id, projectId: project.id, source: 'manual' });
      if (existing.some((g) => g.role === input.role)) return; // already so: adding again changes nothing
      await repo.delete({ userId: user.id, projectId: project.id, source: 'manual' }); // one manual role per project
      await repo.insert({ userId: user.id, role: input.role, projectId: project.id, institution: null, source: 'manual' });
      await this.audit.record(manager, principal, {
        action: 'member.add',
        targetType: 'project',
        targetId: project.id,
        before: existing.length ? { userId: user.id, role: existing[0]!.role } : null,
        after: { userId: user.id, role: input.role },
      });
    });
    this.logger.info({ projectId: project.id, userId: user.id, role: input.role, by: principal.id }, 'project member added');
    return { user, role: input.role, source: 'manual' };
  }

  /** Removes the manually given roles; roles from claims come back at the next login unless the rules change. */
  async remove(principal: Principal, projectId: string, userId: string): Promise<boolean> {
    const project = { id: projectId };
    if (!isUuid(userId)) throw IdentityError.notFound(IdentityErrorCode.UserNotFound, userId);
    return this.db.transaction(async (manager) => {
      const repo = manager.getRepository(RoleGrant);
      const existing = await repo.findBy({ userId, projectId: project.id, source: 'manual' });
      if (existing.length === 0) return false;
      await repo.delete({ userId, projectId: project.id, source: 'manual' });
      await this.audit.record(manager, principal, { action: 'member.remove', targetType: 'project', targetId: project.id, before: { userId, role: existing[0]!.role }, after: null });
      return true;
    });
  }

  async list(projectId: string): Promise<Member[]> {
    const grants = await this.db.manager.getRepository(RoleGrant).find({ where: { projectId, role: In(MEMBER_ROLES) }, order: { createdAt: 'ASC' } });
    const users = await this.db.manager.getRepository(User).findBy({ id: In(grants.map((g) => g.userId)) });
    const byId = new Map(users.map((u) => [u.id, u]));
    return grants.filter((g) => byId.has(g.userId)).map((g) => ({ user: byId.get(g.userId)!, role: g.role, source: g.source }));
  }
}
