import { StateMachine } from '../common/state-machine.js';
import type { Allocation } from './entities/allocation.entity.js';

export const ALLOCATION_LIFECYCLE_STATES = ['ACTIVE', 'ENDED', 'REVOKED'] as const;
export type AllocationLifecycleState = (typeof ALLOCATION_LIFECYCLE_STATES)[number];

/**
 * An allocation is ACTIVE from its grant (counting from `startsAt`) until it ENDS (its end passed
 * or a charge used up its budget) or is REVOKED. An update may change an active or ended one
 * (a raised budget or a later end makes it count again); a revoked one is final.
 */
export const allocationLifecycle = new StateMachine<AllocationLifecycleState>('allocation', {
  ACTIVE: ['ACTIVE', 'ENDED', 'REVOKED'],
  ENDED: ['ACTIVE', 'ENDED', 'REVOKED'],
  REVOKED: [],
});

export function allocationLifecycleOf(a: Pick<Allocation, 'endsAt' | 'revokedAt' | 'exhaustedAt'>, now: Date): AllocationLifecycleState {
  if (a.revokedAt !== null) return 'REVOKED';
  return a.exhaustedAt !== null || (a.endsAt !== null && a.endsAt <= now) ? 'ENDED' : 'ACTIVE';
}
