import { describe, expect, it } from '@jest/globals';
import { IllegalTransitionError } from '../common/state-machine.js';
import { siteLifecycle, siteLifecycleOf } from './site-lifecycle.js';

describe('the site lifecycle', () => {
  const at = new Date(0);

  it('reads the state from when the site began draining and was removed', () => {
    expect(siteLifecycleOf({ drainingSince: null, removedAt: null })).toBe('ACTIVE');
    expect(siteLifecycleOf({ drainingSince: at, removedAt: null })).toBe('DRAINING');
    expect(siteLifecycleOf({ drainingSince: null, removedAt: at })).toBe('REMOVED');
    expect(siteLifecycleOf({ drainingSince: at, removedAt: at })).toBe('REMOVED');
  });

  it('drains, resumes, removes and restores', () => {
    expect(siteLifecycle.canTransition('ACTIVE', 'DRAINING')).toBe(true);
    expect(siteLifecycle.canTransition('DRAINING', 'ACTIVE')).toBe(true);
    expect(siteLifecycle.canTransition('ACTIVE', 'REMOVED')).toBe(true);
    expect(siteLifecycle.canTransition('DRAINING', 'REMOVED')).toBe(true);
    expect(siteLifecycle.canTransition('REMOVED', 'ACTIVE')).toBe(true);
    expect(siteLifecycle.canTransition('REMOVED', 'DRAINING')).toBe(true);
  });

  it('refuses a move to where the site already is, with a clear error', () => {
    for (const state of siteLifecycle.states()) {
      expect(() => siteLifecycle.assertTransition(state, state)).toThrow(IllegalTransitionError);
    }
    expect(() => siteLifecycle.assertTransition('REMOVED', 'REMOVED')).toThrow('illegal site transition REMOVED -> REMOVED');
  });

  it('has no final state: a removed site can come back', () => {
    expect(siteLifecycle.states().filter((s) => siteLifecycle.isFinal(s))).toEqual([]);
  });
});
