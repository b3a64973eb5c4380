import { ForbiddenError } from '../common/errors.js';
import { roleRank, type Principal, type Role } from './principal.js';

const DAY_MS = 86_400_000;

/** What a new token would carry. */
export interface WantedToken {
  role: Role;
  projectId: string | null;
  operations: string[] | null;
}

/**
 * A token makes only tokens no wider than itself: no higher role, nothing outside the project it
 * is limited to, no operation it may not call itself; a session made from a token counts as the
 * token. A caller without a token (an OIDC login, the bootstrap admin) is bounded by its roles
 * alone, which the access policy checks.
 */
export function assertNoWiderThanCallerToken(principal: Principal, wanted: WantedToken): void {
  const token = principal.token;
  if (token && roleRank(wanted.role) > roleRank(token.role)) throw new ForbiddenError(`role: this token carries at most ${token.role}`);
  if (token?.projectId && wanted.projectId !== token.projectId) {
    throw new ForbiddenError(`projectId: this token is limited to project ${token.projectId}, and so must be the tokens it makes`);
  }
  const allowed = principal.operations;
  if (!allowed) return;
  if (!wanted.operations) throw new ForbiddenError(`operations: this token may call only ${allowed.join(', ')}; list those the new token may call`);
  const beyond = wanted.operations.filter((o) => !allowed.includes(o));
  if (beyond.length > 0) throw new ForbiddenError(`operations: this token may not call ${beyond.join(', ')}`);
}

/**
 * When a new token expires: `days` from now, or `defaultDays` when not asked, and never after the
 * caller's own token. Asking for longer than that is refused; the default is cut short to it.
 */
export function expiryWithinCallerToken(principal: Principal, now: Date, days: number | null | undefined, defaultDays: number): Date {
  const wanted = new Date(now.getTime() + (days ?? defaultDays) * DAY_MS);
  const limit = principal.token?.expiresAt;
  if (!limit || wanted <= limit) return wanted;
  if (days === null || days === undefined) return limit;
  const left = Math.max(0, (limit.getTime() - now.getTime()) / DAY_MS);
  throw new ForbiddenError(
    `expiresInDays: this token expires at ${limit.toISOString()} (in ${left.toFixed(2)} days) and a token it makes cannot outlive it; leave expiresInDays out to end with it`,
  );
}
