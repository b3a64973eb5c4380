import { StateMachine } from '../common/state-machine.js';
import type { Site } from './entities/site.entity.js';

export const SITE_LIFECYCLE_STATES = ['ACTIVE', 'DRAINING', 'REMOVED'] as const;
export type SiteLifecycleState = (typeof SITE_LIFECYCLE_STATES)[number];

/**
 * A site in the federation takes placements (ACTIVE) or lets what runs finish (DRAINING); either
 * may be removed once nothing holds resources there. Restoring a removed site gives back what it
 * was, draining or not. The state is read from `drainingSince` and `removedAt`.
 */
export const siteLifecycle = new StateMachine<SiteLifecycleState>('site', {
  ACTIVE: ['DRAINING', 'REMOVED'],
  DRAINING: ['ACTIVE', 'REMOVED'],
  REMOVED: ['ACTIVE', 'DRAINING'],
});

export function siteLifecycleOf(site: Pick<Site, 'drainingSince' | 'removedAt'>): SiteLifecycleState {
  if (site.removedAt !== null) return 'REMOVED';
  return site.drainingSince !== null ? 'DRAINING' : 'ACTIVE';
}
