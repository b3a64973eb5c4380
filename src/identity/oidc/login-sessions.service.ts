import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { Db } from '../../database/db.js';
import { LoginSession } from '../entities/login-session.entity.js';
import { RoleGrant } from '../entities/role-grant.entity.js';
import { User } from '../entities/user.entity.js';
import type { Principal } from '../principal.js';
import { hashToken, newToken } from '../tokens.js';

/** A browser session lasts a working day; then the user logs in again. */
export const SESSION_TTL_MS = 12 * 3_600_000;

export type SessionAuthentication = { principal: Principal } | { principal: null; problem: string };

/** Browser sessions after a login: the cookie holds a random token, the table only its SHA-256. */
@Injectable()
export class LoginSessions {
  constructor(
    private readonly db: Db,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A new session of the user, inside the login's transaction; the token is for the cookie only. */
  async create(manager: EntityManager, userId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = newToken();
    const expiresAt = new Date(this.clock.now().getTime() + SESSION_TTL_MS);
    await manager.getRepository(LoginSession).insert({ tokenHash: hashToken(token), userId, expiresAt });
    return { token, expiresAt };
  }

  /** The user of a session cookie, with their role grants. */
  async authenticate(token: string): Promise<SessionAuthentication> {
    const sessions = this.db.manager.getRepository(LoginSession);
    const session = await sessions.findOneBy({ tokenHash: hashToken(token) });
    if (!session) return { principal: null, problem: 'the login session has ended; log in again at /auth/login' };
    if (session.expiresAt <= this.clock.now()) {
      await sessions.delete({ tokenHash: session.tokenHash });
      return { principal: null, problem: 'the login session has expired; log in again at /auth/login' };
    }
    const user = await this.db.manager.getRepository(User).findOneBy({ id: session.userId });
    if (!user) return { principal: null, problem: 'the login session has ended; log in again at /auth/login' };
    const grants = await this.db.manager.getRepository(RoleGrant).findBy({ userId: user.id });
    return {
      principal: {
        id: `user:${user.id}`,
        kind: 'user',
        name: user.email ?? user.displayName ?? user.subject,
        grants: grants.map((g) => ({ role: g.role, projectId: g.projectId ?? undefined, institution: g.institution ?? undefined })),
      },
    };
  }

  /** Logout: the session stops authenticating at once. */
  async end(token: string): Promise<boolean> {
    const result = await this.db.manager.getRepository(LoginSession).delete({ tokenHash: hashToken(token) });
    return (result.affected ?? 0) > 0;
  }
}
