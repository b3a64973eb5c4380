import { floorTimes, MS_PER_HOUR } from '../allocator/core/exact-decimal.js';

/**
 * A lease of `hours` from `start`, to the millisecond: the hours as given (`numeric`), times
 * 3,600,000 in exact decimals, so a lease of 1.15 hours lasts 4,140,000 ms, not one less.
 */
export function leaseEnd(start: Date, hours: number): Date {
  return new Date(start.getTime() + floorTimes(hours, MS_PER_HOUR));
}

/** Where a lease of `hours` that ends at `end` began. */
export function leaseStart(end: Date, hours: number): Date {
  return new Date(end.getTime() - floorTimes(hours, MS_PER_HOUR));
}

/** Whether a lease that ends at `leaseEndsAt` is over at `now` (it ends at that instant). */
export function leaseOver(leaseEndsAt: Date | null, now: Date): leaseEndsAt is Date {
  return leaseEndsAt !== null && leaseEndsAt <= now;
}
