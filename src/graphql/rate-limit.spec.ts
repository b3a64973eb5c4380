import { describe, expect, it } from '@jest/globals';
import { TokenBuckets } from './rate-limit.js';

describe('TokenBuckets', () => {
  it('allows a burst, then the sustained rate, per key', () => {
    let now = 0;
    const buckets = new TokenBuckets(100, 500, () => now);
    for (let i = 0; i < 500; i++) expect(buckets.take('alice').allowed).toBe(true);
    expect(buckets.take('alice')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(buckets.take('bob').allowed).toBe(true); // another principal is not affected
    now += 100; // 0.1 s later: 10 more tokens
    for (let i = 0; i < 10; i++) expect(buckets.take('alice').allowed).toBe(true);
    expect(buckets.take('alice').allowed).toBe(false);
  });

  it('says how long to wait when the rate is slow', () => {
    const buckets = new TokenBuckets(0.1, 1, () => 0);
    expect(buckets.take('k').allowed).toBe(true);
    expect(buckets.take('k')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });
});
