import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LessThanOrEqual, type QueryDeepPartialEntity } from 'typeorm';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { LOGGER } from '../../common/logging.js';
import { Db } from '../../database/db.js';
import { LoginSession } from '../entities/login-session.entity.js';
import { User } from '../entities/user.entity.js';
import { ClaimGrants } from './claim-grants.js';
import { LoginSessions } from './login-sessions.service.js';
import type { VerifiedIdentity } from './passport-outcome.js';

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/**
 * The e-mail address and whether the provider verified it, both from the same claims (the ID
 * token's when it has an address, else userinfo's). Only `email_verified: true` counts (some
 * providers send the string "true"); a provider that says nothing has verified nothing.
 */
function emailOf(idToken: Record<string, unknown>, userinfo: Record<string, unknown>): { email: string | null; verified: boolean } {
  const source = text(idToken.email) ? idToken : userinfo;
  const email = text(source.email) ?? null;
  return { email, verified: email !== null && (source.email_verified === true || source.email_verified === 'true') };
}

/** A person's name as the claims give it (OpenID Connect Core 5.1). */
function displayNameOf(claims: Record<string, unknown>): string | null {
  const given = [text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ');
  return text(claims.name) ?? (given || undefined) ?? text(claims.preferred_username) ?? null;
}

/** The end of a login: the user (found by issuer and subject, or made), their grants from claims, and a new browser session. */
@Injectable()
export class OidcLoginService {
  constructor(
    private readonly db: Db,
    private readonly sessions: LoginSessions,
    private readonly claimGrants: ClaimGrants,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async complete(identity: VerifiedIdentity): Promise<{ userId: string; token: string; expiresAt: Date }> {
    // the ID token's claims win over userinfo's; the nonce was for this login only
    const { nonce: _nonce, ...claims } = { ...(identity.userinfo ?? {}), ...identity.claims };
    const { email, verified } = emailOf(identity.claims, identity.userinfo ?? {});
    // claim mappings on the address (say, an institution's domain) see only a verified one
    const { email: _unverified, ...withoutEmail } = claims;
    const mappable = verified ? claims : withoutEmail;
    const now = this.clock.now();
    const result = await this.db.transaction(async (manager) => {
      const users = manager.getRepository(User);
      const key = { issuer: identity.claims.iss, subject: identity.claims.sub };
      // one statement, so two first logins of the same person at once make one user
      const values: Partial<User> = { ...key, email, emailVerified: verified, displayName: displayNameOf(claims), lastClaims: claims, lastLoginAt: now };
      await users.upsert(values as QueryDeepPartialEntity<User>, { conflictPaths: ['issuer', 'subject'] });
      const user = await users.findOneByOrFail(key);
      await this.claimGrants.apply(manager, user.id, mappable);
      await manager.getRepository(LoginSession).delete({ userId: user.id, expiresAt: LessThanOrEqual(now) });
      const session = await this.sessions.create(manager, user.id);
      return { userId: user.id, ...session };
    });
    this.logger.info({ userId: result.userId, provider: identity.provider, issuer: identity.claims.iss }, 'user logged in');
    return result;
  }
}
