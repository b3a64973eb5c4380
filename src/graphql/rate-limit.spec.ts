import { describe, expect, it } from '@jest/globals';
import { callerKey, TokenBuckets } from './rate-limit.js';

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

  it('takes several tokens at once, all or none', () => {
    let now = 0;
    const buckets = new TokenBuckets(10, 30, () => now);
    expect(buckets.take('k', 25).allowed).toBe(true);
    expect(buckets.take('k', 10)).toEqual({ allowed: false, retryAfterSeconds: 1 }); // 5 left, 5 more in 0.5 s
    expect(buckets.take('k', 5).allowed).toBe(true); // the refused take took nothing
    now += 2000;
    expect(buckets.take('k', 20).allowed).toBe(true);
  });

  it('says when a take can never be allowed, being more than the burst', () => {
    const buckets = new TokenBuckets(10, 30, () => 0);
    expect(buckets.take('k', 31)).toEqual({ allowed: false, retryAfterSeconds: null });
    expect(buckets.take('k', 30).allowed).toBe(true);
  });

  it('forgets the buckets that have filled up again, so many callers do not grow it for ever', () => {
    let now = 0;
    const buckets = new TokenBuckets(1, 10, () => now);
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 20_000; i++) buckets.take(`round${round}-${i}`);
      now += 10_000; // every bucket so far is full again
    }
    expect(buckets.size).toBeLessThanOrEqual(40_000); // not the 200,000 keys seen
  });
});

describe('callerKey', () => {
  it('is the principal, else the address; IPv6 callers by their /64 network', () => {
    expect(callerKey('principal-1', '203.0.113.9')).toBe('principal-1');
    expect(callerKey(null, '203.0.113.9')).toBe('address:203.0.113.9');
    expect(callerKey(null, '::ffff:203.0.113.9')).toBe('address:203.0.113.9');
    expect(callerKey(null, '2001:db8:1:2:aaaa::1')).toBe('address:2001:db8:1:2::/64');
    expect(callerKey(null, '2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('address:2001:db8:1:2::/64');
    expect(callerKey(null, '2001:db8::5')).toBe('address:2001:db8:0:0::/64');
    expect(callerKey(null, '::1')).toBe('address:0:0:0:0::/64');
    expect(callerKey(null, undefined)).toBe('address:unknown');
  });
});
