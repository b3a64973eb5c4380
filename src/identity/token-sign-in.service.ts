import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { LessThanOrEqual } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { Db } from '../database/db.js';
import { AuthService } from './auth.service.js';
import { SignInLink } from './entities/sign-in-link.entity.js';
import { LoginSessions, type NewSession } from './oidc/login-sessions.service.js';
import type { Principal } from './principal.js';
import { SIGN_IN_LINK_TTL_MS } from './sign-in-links.js';
import { hashToken } from './tokens.js';

/** A session just made from a token, and who it acts as. */
export interface TokenSession {
  session: NewSession;
  principal: Principal;
}

/**
 * Signing in to the portal without an identity provider: an API token exchanged for a session
 * cookie (POST /auth/token), or the one-time link the broker prints at start (GET /auth/link),
 * which signs in as the bootstrap admin token. Either session holds the token's hash and acts as
 * the token, no wider (AuthService checks the token again at every use).
 */
@Injectable()
export class TokenSignIn {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: LoginSessions,
    private readonly db: Db,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A session acting as `token`, or why the token is refused (in the words a bearer token gets). */
  exchange(token: string): Promise<TokenSession | { problem: string }> {
    return this.open(hashToken(token));
  }

  /**
   * A new sign-in link's code, good once within 15 minutes, for the bootstrap admin; undefined
   * when there is none. Only its hash is stored; links of earlier starts that ran out go.
   */
  async issueLink(): Promise<string | undefined> {
    const credentialHash = this.auth.bootstrapAdminCredential;
    if (!credentialHash) return undefined;
    const now = this.clock.now();
    const code = randomBytes(32).toString('base64url');
    const links = this.db.manager.getRepository(SignInLink);
    await links.delete({ expiresAt: LessThanOrEqual(now) });
    await links.insert({ codeHash: hashToken(code), credentialHash, expiresAt: new Date(now.getTime() + SIGN_IN_LINK_TTL_MS) });
    return code;
  }

  /**
   * The session a link's code opens. The link is deleted in the same statement that reads it, so
   * of two requests with one code only one finds it. Null: unknown, used, expired, or its token no
   * longer works (SKYPOOL_ADMIN_TOKEN changed since).
   */
  async redeemLink(code: string): Promise<TokenSession | null> {
    const [rows]: [{ credential_hash: string; expires_at: Date }[], number] = await this.db.manager.query(
      'DELETE FROM sign_in_link WHERE code_hash = $1 RETURNING credential_hash, expires_at',
      [hashToken(code)],
    );
    const link = rows[0];
    if (!link || link.expires_at <= this.clock.now()) return null;
    const outcome = await this.open(link.credential_hash);
    return 'problem' in outcome ? null : outcome;
  }

  private async open(credentialHash: string): Promise<TokenSession | { problem: string }> {
    const authentication = await this.auth.tokenByHash(credentialHash);
    if (!authentication.principal) return { problem: authentication.problem };
    const { principal } = authentication;
    const session = await this.sessions.createForToken(credentialHash, principal.token?.expiresAt ?? null);
    return { session, principal };
  }
}
