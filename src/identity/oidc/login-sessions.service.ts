import { Inject, Injectable } from '@nestjs/common';
import { LessThanOrEqual, type EntityManager } from 'typeorm';
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

/**
 * What a session cookie stands for: the user of an OIDC login, with their grants; or, for a
 * session made from an API token, the hash of that token, which AuthService authenticates as
 * it would the token itself (this service knows nothing of tokens, so the two do not depend on each other).
 */
export type SessionAuthentication = { principal: Principal } | { credentialHash: string } | { principal: null; problem: string };

/** A new session: the token is for the cookie only. */
export interface NewSession {
  token: string;
  expiresAt: Date;
}

/** When a session made from a token ends: after the usual working day, or with the token if that comes first. */
export function tokenSessionExpiry(now: Date, tokenExpiresAt: Date | null): Date {
  const usual = new Date(now.getTime() + SESSION_TTL_MS);
  return tokenExpiresAt && tokenExpiresAt < usual ? tokenExpiresAt : usual;
}

/** Browser sessions: the cookie holds a random token, the table only its SHA-256. */
@Injectable()
export class LoginSessions {
  constructor(
    private readonly db: Db,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A new session of the user, inside the login's transaction. */
  async create(manager: EntityManager, userId: string): Promise<NewSession> {
    const token = newToken();
    const expiresAt = new Date(this.clock.now().getTime() + SESSION_TTL_MS);
    await manager.getRepository(LoginSession).insert({ tokenHash: hashToken(token), userId, expiresAt });
    return { token, expiresAt };
  }

  /**
   * A new session acting as the token whose hash is `credentialHash` (the caller has just
   * authenticated it); it ends with the token if the token expires first. The expired sessions
   * of the same token go.
   */
  async createForToken(credentialHash: string, tokenExpiresAt: Date | null): Promise<NewSession> {
    const now = this.clock.now();
    const token = newToken();
    const expiresAt = tokenSessionExpiry(now, tokenExpiresAt);
    const sessions = this.db.manager.getRepository(LoginSession);
    await sessions.delete({ credentialHash, expiresAt: LessThanOrEqual(now) });
    await sessions.insert({ tokenHash: hashToken(token), userId: null, credentialHash, expiresAt });
    return { token, expiresAt };
  }

  /** What a session cookie stands for: a user with their role grants, or the token it was made from. */
  async authenticate(token: string): Promise<SessionAuthentication> {
    const sessions = this.db.manager.getRepository(LoginSession);
    const session = await sessions.findOneBy({ tokenHash: hashToken(token) });
    if (!session) return { principal: null, problem: 'the login session has ended; sign in again' };
    const signInAgain = session.credentialHash ? 'sign in again with a token' : 'log in again at /auth/login';
    if (session.expiresAt <= this.clock.now()) {
      await sessions.delete({ tokenHash: session.tokenHash });
      return { principal: null, problem: `the login session has expired; ${signInAgain}` };
    }
    if (session.credentialHash) return { credentialHash: session.credentialHash };
    const user = await this.db.manager.getRepository(User).findOneBy({ id: session.userId! });
    if (!user) return { principal: null, problem: `the login session has ended; ${signInAgain}` };
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

  /** Sign-out: the session stops authenticating at once. */
  async end(token: string): Promise<boolean> {
    const result = await this.db.manager.getRepository(LoginSession).delete({ tokenHash: hashToken(token) });
    return (result.affected ?? 0) > 0;
  }
}
