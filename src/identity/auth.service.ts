import { Inject, Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { IsNull } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { AccessPolicy } from './access-policy.js';
import { ApiToken } from './entities/api-token.entity.js';
import { bootstrapAdminToken } from './bootstrap-admin.js';
import { RoleGrant } from './entities/role-grant.entity.js';
import { User } from './entities/user.entity.js';
import { roleRank, type Principal, type RoleGrant as Grant } from './principal.js';
import { readCookie, SESSION_COOKIE } from './oidc/cookies.js';
import { LoginSessions } from './oidc/login-sessions.service.js';
import { hashToken } from './tokens.js';

const LAST_USED_RESOLUTION_MS = 60_000;

export const BOOTSTRAP_ADMIN: Principal = {
  id: 'bootstrap-admin',
  kind: 'bootstrap-admin',
  name: 'federation administrator (bootstrap token)',
  grants: [{ role: 'FEDERATION_ADMIN' }],
};

/** The outcome of reading the credentials. */
export type Authentication = { principal: Principal } | { principal: null; problem: string };

/** What a request may authenticate with: its Authorization and Cookie headers. */
export interface Credentials {
  authorization?: string;
  cookie?: string;
}

/**
 * Turns credentials into a principal: a bearer token (the bootstrap admin, a service account's or
 * a user's API token) or, without an Authorization header, the session cookie of a browser: an
 * OIDC login's, or one made from a token, which acts as that token does now.
 */
@Injectable()
export class AuthService {
  private readonly adminTokenHash: Buffer | undefined;
  private readonly loginEnabled: boolean;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly db: Db,
    private readonly sessions: LoginSessions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    const adminToken = bootstrapAdminToken(config, logger);
    this.adminTokenHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : undefined;
    this.loginEnabled = config.oidcProviders.length > 0;
  }

  async authenticate(credentials: Credentials): Promise<Authentication> {
    // an Authorization header is what the caller meant, even next to a cookie
    if (credentials.authorization) return this.bearer(credentials.authorization);
    const session = readCookie(credentials.cookie, SESSION_COOKIE);
    if (session) return this.session(session);
    return { principal: null, problem: `no credentials: send Authorization: Bearer <token>${this.loginEnabled ? ', or log in at /auth/login' : ''}` };
  }

  /** The SHA-256 of the bootstrap admin token (what the sign-in link signs in as); undefined when there is none. */
  get bootstrapAdminCredential(): string | undefined {
    return this.adminTokenHash?.toString('hex');
  }

  private async bearer(authorization: string): Promise<Authentication> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) return { principal: null, problem: 'the Authorization header must read "Bearer <token>"' };
    return this.tokenByHash(hashToken(match[1]!));
  }

  /** A session made from a token acts as the token would now: revoked, expired or no longer its maker's to make, the session ends with it. */
  private async session(cookie: string): Promise<Authentication> {
    const session = await this.sessions.authenticate(cookie);
    if (!('credentialHash' in session)) return session;
    const authentication = await this.tokenByHash(session.credentialHash);
    if (authentication.principal) return authentication;
    return { principal: null, problem: `the token this session was made with no longer works: ${authentication.problem}` };
  }

  /**
   * The principal of an API token, given the token's SHA-256: as a bearer token, or behind a
   * session made from one (POST /auth/token, the sign-in link), which is checked again at every use.
   */
  async tokenByHash(hash: string): Promise<Authentication> {
    if (this.adminTokenHash && timingSafeEqual(this.adminTokenHash, Buffer.from(hash, 'hex'))) return { principal: BOOTSTRAP_ADMIN };

    const repo = this.db.manager.getRepository(ApiToken);
    const token = await repo.findOneBy({ tokenHash: hash, revokedAt: IsNull() });
    const now = this.clock.now();
    if (!token) return { principal: null, problem: 'unknown or revoked token' };
    if (token.expiresAt && token.expiresAt <= now) return { principal: null, problem: 'the token has expired' };
    if (!token.userId && !(await this.makerMayStillCreate(token))) {
      return { principal: null, problem: 'who made this service account may no longer create it (a manager removed from its project?); ask a manager of the project for a new one' };
    }
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await repo.update(token.id, { lastUsedAt: now });
    }
    if (token.userId) return this.userToken(token);
    return {
      principal: {
        id: `service-account:${token.id}`,
        kind: 'service-account',
        name: token.name,
        grants: [{ role: token.role, projectId: token.projectId ?? undefined, institution: token.institution ?? undefined }],
        operations: token.operations ?? undefined,
        token: limitsOf(token),
      },
    };
  }

  /**
   * A service account acts only while its maker could make it now: a manager removed from the
   * project takes her accounts there with her, and gets them back if she is made a manager again.
   * The bootstrap admin's accounts hold while they are neither revoked nor expired: its authority
   * comes from the deployment's configuration, not from a grant that can be taken away (rotating
   * or unsetting SKYPOOL_ADMIN_TOKEN leaves them; revokeApiToken ends them). An account made by
   * another service account (possible before service accounts were barred from making tokens)
   * no longer acts.
   */
  private async makerMayStillCreate(token: ApiToken): Promise<boolean> {
    if (token.createdBy === BOOTSTRAP_ADMIN.id) return true;
    if (!token.createdBy.startsWith('user:')) return false;
    const userId = token.createdBy.slice('user:'.length);
    const maker: Principal = { id: token.createdBy, kind: 'user', name: '', grants: (await this.db.manager.getRepository(RoleGrant).findBy({ userId })).map(grantOf) };
    return AccessPolicy.mayCreateServiceAccount(maker, token.role, token.projectId ?? undefined);
  }

  /**
   * A user's own token acts as that user, with their current roles capped at the token's role (a
   * manager's RESEARCHER token is a researcher there), only in the token's project when it names
   * one, and only for the token's operations when it lists them.
   */
  private async userToken(token: ApiToken): Promise<Authentication> {
    const user = await this.db.manager.getRepository(User).findOneBy({ id: token.userId! });
    if (!user) return { principal: null, problem: 'unknown or revoked token' };
    const grants = await this.db.manager.getRepository(RoleGrant).findBy({ userId: user.id });
    return {
      principal: {
        id: `user:${user.id}`,
        kind: 'user',
        name: `${user.email ?? user.displayName ?? user.subject} (token ${token.name})`,
        grants: grants
          .filter((g) => !token.projectId || g.projectId === token.projectId)
          .map((g) => ({ ...grantOf(g), role: roleRank(g.role) > roleRank(token.role) ? token.role : g.role })),
        operations: token.operations ?? undefined,
        token: limitsOf(token),
      },
    };
  }
}

function grantOf(g: RoleGrant): Grant {
  return { role: g.role, projectId: g.projectId ?? undefined, institution: g.institution ?? undefined };
}

/** What a token hands on to the tokens made with it, at most. */
function limitsOf(token: ApiToken): Principal['token'] {
  return { id: token.id, role: token.role, projectId: token.projectId ?? undefined, expiresAt: token.expiresAt };
}
