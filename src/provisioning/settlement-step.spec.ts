import { describe, expect, it } from '@jest/globals';
import { settlementStep, type SettlingInstance, type SettlingRequest } from './settlement-step.js';

const now = new Date('2026-06-01T12:00:00.000Z');
const MAX_ATTEMPTS = 3;

const request = (over: Partial<SettlingRequest> = {}): SettlingRequest => ({
  state: 'PROVISIONING',
  count: 3,
  minCount: 2,
  attempt: 1,
  leaseHours: 1.15,
  leaseEndsAt: null,
  reason: null,
  reasonCode: null,
  ...over,
});
const instance = (state: SettlingInstance['state'], over: Partial<SettlingInstance> = {}): SettlingInstance => ({
  state,
  attempt: 1,
  siteInstanceId: state === 'REQUESTED' ? null : 'i-1',
  failureCode: null,
  failureReason: null,
  ...over,
});
const step = (r: SettlingRequest, instances: SettlingInstance[]) => settlementStep(r, instances, now, MAX_ATTEMPTS);

describe('settling a provisioning request', () => {
  it('starts the lease once minCount run, ending exactly leaseHours later', () => {
    expect(step(request(), [instance('RUNNING'), instance('RUNNING'), instance('PENDING')])).toEqual({
      kind: 'start-lease',
      leaseEndsAt: new Date(now.getTime() + 4_140_000),
      reason: '2 of 3 running',
    });
  });

  it('waits while the gang may still complete', () => {
    expect(step(request(), [instance('RUNNING'), instance('PENDING'), instance('REQUESTED')])).toEqual({ kind: 'none' });
    expect(step(request(), [instance('RUNNING'), instance('PENDING'), instance('FAILED')])).toEqual({ kind: 'none' });
  });

  it('gives the gang back to the allocator when it cannot complete, with the cause', () => {
    const failed = instance('FAILED', { failureCode: 'SITE_CAPACITY', failureReason: 'no room' });
    expect(step(request(), [instance('RUNNING'), failed, instance('FAILED')])).toEqual({
      kind: 'move',
      to: 'QUEUED',
      reason: 'attempt 1 failed: instances failed at the site; waiting to be placed again',
      reasonCode: 'SITE_ERROR',
      endAlive: 'gang cannot complete',
      released: false,
    });
    expect(step(request(), [instance('RUNNING'), instance('FAILED'), failed])).toMatchObject({ to: 'QUEUED', reasonCode: 'SITE_CAPACITY' });
  });

  it('gives up after the last attempt allowed', () => {
    const r = request({ attempt: 3 });
    const failures = [1, 2, 3].map((attempt) => instance('FAILED', { attempt, failureCode: 'AUTH_FAILED', failureReason: 'bad key' }));
    expect(step(r, [...failures, instance('RUNNING', { attempt: 3 })])).toEqual({
      kind: 'move',
      to: 'FAILED',
      reason: 'gave up after 3 failed attempts; the last: bad key',
      reasonCode: 'AUTH_FAILED',
      endAlive: 'gang cannot complete',
      released: false,
    });
  });

  it('looks only at failures of the current attempt', () => {
    expect(step(request({ attempt: 2 }), [instance('FAILED', { attempt: 1 }), instance('PENDING', { attempt: 2 })])).toEqual({ kind: 'none' });
  });
});

describe('settling a running request', () => {
  const leaseEndsAt = new Date(now.getTime() + 1);
  const running = request({ state: 'RUNNING', leaseEndsAt, reason: '2 of 3 running' });

  it('ends it when its lease ends, at that very instant', () => {
    expect(step(running, [instance('RUNNING'), instance('RUNNING')])).toEqual({ kind: 'none' });
    const ended = { ...running, leaseEndsAt: now };
    expect(step(ended, [instance('RUNNING'), instance('RUNNING')])).toEqual({
      kind: 'move',
      to: 'TERMINATING',
      reason: `lease ended at ${now.toISOString()}`,
      reasonCode: 'LEASE_EXPIRED',
      endAlive: 'lease ended',
      released: false,
    });
  });

  it('fails it when every instance is gone, with the last failure as the cause', () => {
    expect(step(running, [instance('TERMINATED')])).toMatchObject({ kind: 'move', to: 'FAILED', reason: 'every instance is gone', reasonCode: 'NODE_DISAPPEARED', endAlive: null });
    expect(step(running, [instance('FAILED', { failureCode: 'SITE_ERROR', failureReason: 'host lost' })])).toMatchObject({ to: 'FAILED', reason: 'host lost', reasonCode: 'SITE_ERROR' });
  });

  it('says how many run once every alive instance runs', () => {
    expect(step(running, [instance('RUNNING'), instance('RUNNING'), instance('RUNNING')])).toEqual({ kind: 'note', reason: '3 of 3 running' });
    expect(step(running, [instance('RUNNING'), instance('RUNNING'), instance('PENDING')])).toEqual({ kind: 'none' });
  });
});

describe('settling a terminating request', () => {
  it('waits while an instance holds resources', () => {
    expect(step(request({ state: 'TERMINATING' }), [instance('TERMINATING'), instance('TERMINATED')])).toEqual({ kind: 'none' });
  });

  it('ends it as what happened says, releasing its resources', () => {
    const done = [instance('TERMINATED')];
    expect(step(request({ state: 'TERMINATING', reason: 'lease ended', reasonCode: 'LEASE_EXPIRED' }), done)).toEqual({
      kind: 'move',
      to: 'EXPIRED',
      reason: 'lease ended',
      reasonCode: 'LEASE_EXPIRED',
      endAlive: null,
      released: true,
    });
    expect(step(request({ state: 'TERMINATING' }), done)).toMatchObject({ to: 'TERMINATED', released: true });
    expect(step(request({ state: 'TERMINATING' }), [instance('FAILED', { siteInstanceId: null })])).toMatchObject({ to: 'CANCELLED', released: true });
  });
});

it('leaves requests in other states alone', () => {
  for (const state of ['PENDING', 'QUEUED', 'TERMINATED', 'FAILED', 'CANCELLED', 'EXPIRED'] as const) {
    expect(step(request({ state }), [instance('RUNNING')])).toEqual({ kind: 'none' });
  }
});
