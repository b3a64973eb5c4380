import { describe, expect, it } from '@jest/globals';
import { IllegalTransitionError } from '../common/state-machine.js';
import { apiTokenLifecycle, apiTokenLifecycleOf } from './api-token-lifecycle.js';

describe('the API token lifecycle', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const before = new Date(now.getTime() - 1);
  const after = new Date(now.getTime() + 1);

  it('is active until it expires or is revoked', () => {
    expect(apiTokenLifecycleOf({ expiresAt: null, revokedAt: null }, now)).toBe('ACTIVE');
    expect(apiTokenLifecycleOf({ expiresAt: after, revokedAt: null }, now)).toBe('ACTIVE');
    expect(apiTokenLifecycleOf({ expiresAt: now, revokedAt: null }, now)).toBe('EXPIRED');
    expect(apiTokenLifecycleOf({ expiresAt: before, revokedAt: before }, now)).toBe('REVOKED');
  });

  it('may be revoked whether active or expired', () => {
    expect(apiTokenLifecycle.canTransition('ACTIVE', 'REVOKED')).toBe(true);
    expect(apiTokenLifecycle.canTransition('EXPIRED', 'REVOKED')).toBe(true);
    expect(apiTokenLifecycle.canTransition('ACTIVE', 'EXPIRED')).toBe(true);
  });

  it('never comes back, with a clear error', () => {
    expect(() => apiTokenLifecycle.assertTransition('EXPIRED', 'ACTIVE')).toThrow('illegal API token transition EXPIRED -> ACTIVE');
    expect(apiTokenLifecycle.isFinal('REVOKED')).toBe(true);
    for (const to of apiTokenLifecycle.states()) expect(() => apiTokenLifecycle.assertTransition('REVOKED', to)).toThrow(IllegalTransitionError);
  });
});
