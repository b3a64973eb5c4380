import { StateMachine } from '../common/state-machine.js';
import type { ApiToken } from './entities/api-token.entity.js';

export const API_TOKEN_LIFECYCLE_STATES = ['ACTIVE', 'EXPIRED', 'REVOKED'] as const;
export type ApiTokenLifecycleState = (typeof API_TOKEN_LIFECYCLE_STATES)[number];

/** A token works until it expires or is revoked; an expired one may still be revoked (for the record); revoked is final. */
export const apiTokenLifecycle = new StateMachine<ApiTokenLifecycleState>('API token', {
  ACTIVE: ['EXPIRED', 'REVOKED'],
  EXPIRED: ['REVOKED'],
  REVOKED: [],
});

export function apiTokenLifecycleOf(token: Pick<ApiToken, 'expiresAt' | 'revokedAt'>, now: Date): ApiTokenLifecycleState {
  if (token.revokedAt !== null) return 'REVOKED';
  return token.expiresAt !== null && token.expiresAt <= now ? 'EXPIRED' : 'ACTIVE';
}
