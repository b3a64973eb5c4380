import { describe, expect, it } from '@jest/globals';
import { IllegalTransitionError } from '../common/state-machine.js';
import { allocationLifecycle, allocationLifecycleOf } from './allocation-lifecycle.js';

describe('the allocation lifecycle', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const before = new Date(now.getTime() - 1);
  const after = new Date(now.getTime() + 1);
  const allocation = (over: Partial<{ endsAt: Date | null; revokedAt: Date | null; exhaustedAt: Date | null }> = {}) => ({ endsAt: null, revokedAt: null, exhaustedAt: null, ...over });

  it('is active until its end, its budget runs out or it is revoked', () => {
    expect(allocationLifecycleOf(allocation(), now)).toBe('ACTIVE');
    expect(allocationLifecycleOf(allocation({ endsAt: after }), now)).toBe('ACTIVE');
    expect(allocationLifecycleOf(allocation({ endsAt: now }), now)).toBe('ENDED');
    expect(allocationLifecycleOf(allocation({ endsAt: before }), now)).toBe('ENDED');
    expect(allocationLifecycleOf(allocation({ exhaustedAt: before }), now)).toBe('ENDED');
    expect(allocationLifecycleOf(allocation({ endsAt: before, revokedAt: before }), now)).toBe('REVOKED');
  });

  it('lets an update revive an ended allocation, and revoking end either', () => {
    expect(allocationLifecycle.canTransition('ENDED', 'ACTIVE')).toBe(true);
    expect(allocationLifecycle.canTransition('ACTIVE', 'ACTIVE')).toBe(true);
    expect(allocationLifecycle.canTransition('ACTIVE', 'REVOKED')).toBe(true);
    expect(allocationLifecycle.canTransition('ENDED', 'REVOKED')).toBe(true);
  });

  it('keeps a revoked allocation revoked, with a clear error', () => {
    expect(allocationLifecycle.isFinal('REVOKED')).toBe(true);
    for (const to of allocationLifecycle.states()) {
      expect(() => allocationLifecycle.assertTransition('REVOKED', to)).toThrow(IllegalTransitionError);
    }
    expect(() => allocationLifecycle.assertTransition('REVOKED', 'ACTIVE')).toThrow('illegal allocation transition REVOKED -> ACTIVE');
  });
});
