import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import type { PreparedStatement } from '../database/prepared.js';
import { AccessPolicy } from './access-policy.js';
import { ApiToken } from './entities/api-token.entity.js';
import { bootstrapAdminToken } from './bootstrap-admin.js';
import { roleRank, type Principal, type Role, type RoleGrant as Grant } from './principal.js';
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

  /**
   * Tokens by hash, looked up in batches: the lookups asked for while the event loop handles the
   * requests it has just read go to the database in one statement once it has (setImmediate), a
   * round trip for them all instead of one each. Each lookup still starts after its request
   * arrived, and nothing is kept after the answer, so a revoked token is refused as before.
   */
  private readonly tokens = new DataLoader<string, TokenRow | undefined>(
    async (hashes) => {
      const rows = await this.db.rows<TokenRow>(TOKENS_BY_HASH, [hashes]);
      const byHash = new Map(rows.map((row) => [row.token_hash, row]));
      return hashes.map((hash) => byHash.get(hash));
    },
    { cache: false, batchScheduleFn: (lookUp) => setImmediate(lookUp) },
  );

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
   * Nothing is cached, so that a revocation holds from the next request on, in every broker
   * process; every request pays for the lookup, so it is one statement (TOKENS_BY_HASH), shared
   * by the requests that arrive together (see `tokens`).
   */
  async tokenByHash(hash: string): Promise<Authentication> {
    if (this.adminTokenHash && timingSafeEqual(this.adminTokenHash, Buffer.from(hash, 'hex'))) return { principal: BOOTSTRAP_ADMIN };

    const token = await this.tokens.load(hash);
    const now = this.clock.now();
    if (!token) return { principal: null, problem: 'unknown or revoked token' };
    if (token.expires_at && token.expires_at <= now) return { principal: null, problem: 'the token has expired' };
    if (!token.user_id && !makerMayStillCreate(token)) {
      return { principal: null, problem: 'who made this service account may no longer create it (a manager removed from its project?); ask a manager of the project for a new one' };
    }
    if (!token.last_used_at || now.getTime() - token.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.db.manager.getRepository(ApiToken).update(token.id, { lastUsedAt: now });
    }
    if (token.user_id) return userToken(token);
    return {
      principal: {
        id: `service-account:${token.id}`,
        kind: 'service-account',
        name: token.name,
        grants: [{ role: token.role, projectId: token.project_id ?? undefined, institution: token.institution ?? undefined }],
        operations: token.operations ?? undefined,
        token: limitsOf(token),
      },
    };
  }
}

/**
 * Unrevoked tokens by their hashes, each with the user it acts as (a user's own token) and the
 * grants that decide on it: that user's, or for a service account its maker's, when a user made it.
 */
const TOKENS_BY_HASH: PreparedStatement = {
  name: 'auth_tokens_by_hash',
  text: `SELECT t.token_hash, t.id, t.name, t.role, t.project_id, t.institution, t.created_by, t.user_id, t.operations, t.expires_at, t.last_used_at,
                u.id IS NOT NULL AS user_exists, u.email, u.display_name, u.subject,
                coalesce((SELECT json_agg(json_build_object('role', g.role, 'projectId', g.project_id, 'institution', g.institution))
                            FROM role_grant g
                           WHERE g.user_id = coalesce(t.user_id, CASE WHEN t.created_by LIKE 'user:%' THEN substr(t.created_by, 6)::uuid END)), '[]') AS grants
           FROM api_token t
           LEFT JOIN "user" u ON u.id = t.user_id
          WHERE t.token_hash = ANY($1::text[]) AND t.revoked_at IS NULL`,
};

interface TokenRow {
  token_hash: string;
  id: string;
  name: string;
  role: Role;
  project_id: string | null;
  institution: string | null;
  created_by: string;
  user_id: string | null;
  operations: string[] | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  user_exists: boolean;
  email: string | null;
  display_name: string | null;
  subject: string | null;
  grants: { role: Role; projectId: string | null; institution: string | null }[];
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
function makerMayStillCreate(token: TokenRow): boolean {
  if (token.created_by === BOOTSTRAP_ADMIN.id) return true;
  if (!token.created_by.startsWith('user:')) return false;
  const maker: Principal = { id: token.created_by, kind: 'user', name: '', grants: token.grants.map(grantOf) };
  return AccessPolicy.mayCreateServiceAccount(maker, token.role, token.project_id ?? undefined);
}

/**
 * A user's own token acts as that user, with their current roles capped at the token's role (a
 * manager's RESEARCHER token is a researcher there), only in the token's project when it names
 * one, and only for the token's operations when it lists them.
 */
function userToken(token: TokenRow): Authentication {
  if (!token.user_exists) return { principal: null, problem: 'unknown or revoked token' };
  return {
    principal: {
      id: `user:${token.user_id}`,
      kind: 'user',
      name: `${token.email ?? token.display_name ?? token.subject} (token ${token.name})`,
      grants: token.grants
        .filter((g) => !token.project_id || g.projectId === token.project_id)
        .map((g) => ({ ...grantOf(g), role: roleRank(g.role) > roleRank(token.role) ? token.role : g.role })),
      operations: token.operations ?? undefined,
      token: limitsOf(token),
    },
  };
}

function grantOf(g: TokenRow['grants'][number]): Grant {
  return { role: g.role, projectId: g.projectId ?? undefined, institution: g.institution ?? undefined };
}

/** What a token hands on to the tokens made with it, at most. */
function limitsOf(token: TokenRow): Principal['token'] {
  return { id: token.id, role: token.role, projectId: token.project_id ?? undefined, expiresAt: token.expires_at };
}
