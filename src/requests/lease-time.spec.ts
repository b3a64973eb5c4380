import { describe, expect, it } from '@jest/globals';
import { leaseEnd, leaseOver, leaseStart } from './lease-time.js';

describe('lease times', () => {
  const start = new Date('2026-06-01T12:00:00.000Z');

  it('ends a lease exactly the hours given later, to the millisecond', () => {
    expect(leaseEnd(start, 4).getTime() - start.getTime()).toBe(14_400_000);
    expect(leaseEnd(start, 0.5).getTime() - start.getTime()).toBe(1_800_000);
    // 1.15 x 3,600,000 is 4,139,999.9999999995 in floats
    expect(leaseEnd(start, 1.15).getTime() - start.getTime()).toBe(4_140_000);
    expect(leaseEnd(start, 2.3).getTime() - start.getTime()).toBe(8_280_000);
  });

  it('drops less than a millisecond, as a clock would', () => {
    expect(leaseEnd(start, 0.3333333).getTime() - start.getTime()).toBe(1_199_999);
  });

  it('finds where a lease began from its end', () => {
    expect(leaseStart(leaseEnd(start, 1.15), 1.15)).toEqual(start);
  });

  it('is over at the instant it ends', () => {
    const end = leaseEnd(start, 1);
    expect(leaseOver(end, new Date(end.getTime() - 1))).toBe(false);
    expect(leaseOver(end, end)).toBe(true);
    expect(leaseOver(null, end)).toBe(false);
  });
});
