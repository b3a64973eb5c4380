import { describe, expect, it } from '@jest/globals';
import { healthErrorFor, missingOfferings, nextHealth, type CallOutcome, type HealthRecord } from './site-health.js';

const policy = { downAfterFailures: 3, slowMs: 1000 };
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const fresh: HealthRecord = { health: 'UNKNOWN', since: t0, checkedAt: null, latencyMs: null, error: null, consecutiveFailures: 0 };
const ok = (latencyMs = 20, warning?: string): CallOutcome => ({ ok: true, latencyMs, warning });
const failed = (category: 'transient' | 'auth' | 'throttling' = 'transient'): CallOutcome => ({ ok: false, latencyMs: null, category, message: `${category} failure` });

function run(outcomes: CallOutcome[], start: HealthRecord = fresh): HealthRecord {
  return outcomes.reduce((record, outcome, i) => nextHealth(record, outcome, policy, at(i + 1)), start);
}

describe('site health and circuit breaker', () => {
  it('is HEALTHY after a fast answer, with latency and since-when', () => {
    expect(run([ok(20)])).toEqual({ health: 'HEALTHY', since: at(1), checkedAt: at(1), latencyMs: 20, error: null, consecutiveFailures: 0 });
  });

  it('is DEGRADED when slow or warned about, HEALTHY again when neither', () => {
    expect(run([ok(1500)])).toMatchObject({ health: 'DEGRADED', error: 'answered in 1500 ms (slower than 1000 ms)' });
    expect(run([ok(20, 'zone nova-2 is gone')])).toMatchObject({ health: 'DEGRADED', error: 'zone nova-2 is gone' });
    expect(run([ok(1500), ok(20)])).toMatchObject({ health: 'HEALTHY', since: at(2), error: null });
  });

  it('opens the circuit (DOWN) after the configured failures in a row, not before', () => {
    expect(run([ok(), failed(), failed()])).toMatchObject({ health: 'DEGRADED', consecutiveFailures: 2, since: at(2), error: 'transient failure' });
    const down = run([ok(), failed(), failed(), failed()]);
    expect(down).toMatchObject({ health: 'DOWN', consecutiveFailures: 3, since: at(4), latencyMs: 20 });
    expect(nextHealth(down, failed(), policy, at(9))).toMatchObject({ health: 'DOWN', since: at(4), consecutiveFailures: 4 });
  });

  it('a success in between starts the count again', () => {
    expect(run([failed(), failed(), ok(), failed(), failed()])).toMatchObject({ health: 'DEGRADED', consecutiveFailures: 2 });
  });

  it('closes the circuit on the first success', () => {
    expect(run([failed(), failed(), failed(), ok(30)])).toMatchObject({ health: 'HEALTHY', consecutiveFailures: 0, error: null, since: at(4) });
  });

  it('goes DOWN at once when the credentials are refused', () => {
    expect(run([ok(), failed('auth')])).toMatchObject({ health: 'DOWN', consecutiveFailures: 1, error: 'auth failure' });
  });

  it('throttling degrades a site but never takes it down', () => {
    expect(run([failed('throttling'), failed('throttling'), failed('throttling'), failed('throttling')])).toMatchObject({ health: 'DEGRADED', consecutiveFailures: 4 });
  });

  it('warns of the zones and instance types a site lacks; types go unchecked where the site cannot list them', () => {
    const expected = { zones: ['nova', 'nova-2'], instanceTypes: ['m1.small', 'g1.large', 'g1.xlarge'] };
    expect(missingOfferings(expected, { zones: ['nova', 'nova-2'], instanceTypes: ['m1.small', 'g1.large', 'g1.xlarge', 'm1.huge'] })).toBeUndefined();
    expect(missingOfferings(expected, { zones: ['nova', 'nova-2'], instanceTypes: ['m1.small'] })).toBe('the site does not offer instance types g1.large, g1.xlarge');
    expect(missingOfferings(expected, { zones: ['nova'], instanceTypes: ['m1.small', 'g1.large'] })).toBe(
      'the site no longer offers availability zone nova-2; the site does not offer instance type g1.xlarge',
    );
    expect(missingOfferings(expected, { zones: ['nova', 'nova-2'], instanceTypes: null })).toBeUndefined();
  });

  it("keeps the site's own words apart, for its admins only", () => {
    const failure: CallOutcome = { ok: false, latencyMs: null, category: 'permanent', message: 'site lab: the site rejected a parameter (InvalidParameter, HTTP 400)', detail: 'db01.lab.internal: account ops' };
    const { error } = run([failure]);
    expect(healthErrorFor(error, true)).toBe('site lab: the site rejected a parameter (InvalidParameter, HTTP 400): db01.lab.internal: account ops');
    expect(healthErrorFor(error, false)).toBe('site lab: the site rejected a parameter (InvalidParameter, HTTP 400)');
    expect(healthErrorFor(run([failed()]).error, false)).toBe('transient failure');
    expect(healthErrorFor(null, true)).toBeNull();
  });
});
