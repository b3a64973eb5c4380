import { StateMachine } from '../common/state-machine.js';

export const REQUEST_STATES = [
  'PENDING',
  'QUEUED',
  'PROVISIONING',
  'RUNNING',
  'TERMINATING',
  'TERMINATED',
  'FAILED',
  'CANCELLED',
  'EXPIRED',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/**
 * The request lifecycle (meanings pinned in api-contract.md). TERMINATING ends TERMINATED when a
 * user ended it after something ran, CANCELLED when nothing had started at a site yet, and
 * EXPIRED when its lease ended.
 */
export const requestStateMachine = new StateMachine<RequestState>('request', {
  PENDING: ['QUEUED', 'PROVISIONING', 'CANCELLED', 'FAILED'],
  QUEUED: ['QUEUED', 'PROVISIONING', 'CANCELLED', 'FAILED'],
  PROVISIONING: ['RUNNING', 'QUEUED', 'TERMINATING', 'CANCELLED', 'FAILED'],
  RUNNING: ['TERMINATING', 'FAILED'],
  TERMINATING: ['TERMINATED', 'EXPIRED', 'CANCELLED', 'FAILED'],
  TERMINATED: [],
  FAILED: [],
  CANCELLED: [],
  EXPIRED: [],
});

/** States in which a request still waits for the allocator. */
export const WAITING_STATES: RequestState[] = ['PENDING', 'QUEUED'];

/** States in which a request has been placed and its instances start or run: what ending an allocation may terminate. */
export const PLACED_STATES: RequestState[] = ['PROVISIONING', 'RUNNING'];
