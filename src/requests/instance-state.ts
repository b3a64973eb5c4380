import { StateMachine } from '../common/state-machine.js';

export const INSTANCE_STATES = ['REQUESTED', 'PENDING', 'RUNNING', 'TERMINATING', 'TERMINATED', 'FAILED'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/**
 * REQUESTED: placed, RunInstances not yet answered. PENDING/RUNNING: as the site says.
 * TERMINATING: TerminateInstances sent (or to be sent), not yet confirmed.
 */
export const instanceStateMachine = new StateMachine<InstanceState>('instance', {
  REQUESTED: ['PENDING', 'RUNNING', 'TERMINATING', 'FAILED'],
  PENDING: ['RUNNING', 'TERMINATING', 'FAILED'],
  RUNNING: ['TERMINATING', 'FAILED'],
  TERMINATING: ['TERMINATED'],
  TERMINATED: [],
  FAILED: [],
});

/** Instances that are wanted and hold resources (TERMINATING ones still hold resources but are no longer wanted). */
export const ALIVE_STATES: InstanceState[] = ['REQUESTED', 'PENDING', 'RUNNING'];

/** Instances in these states hold quota and site capacity. */
export const HOLDING_STATES: InstanceState[] = ['REQUESTED', 'PENDING', 'RUNNING', 'TERMINATING'];

/** Instances the site has: started there and not yet confirmed ended (what the reconciler compares with the site's listing). */
export const AT_SITE_STATES: InstanceState[] = ['PENDING', 'RUNNING', 'TERMINATING'];
