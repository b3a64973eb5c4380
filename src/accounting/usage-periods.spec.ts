import { describe, expect, it } from '@jest/globals';
import { MAX_MONTHS, windowsOf } from './usage-periods.js';

const at = (iso: string) => new Date(iso);

describe('windowsOf', () => {
  it('keeps the period whole unless asked to cut it by month', () => {
    expect(windowsOf(at('2026-10-15T12:00:00Z'), at('2026-12-02T00:00:00Z'), false)).toEqual([{ start: at('2026-10-15T12:00:00Z'), end: at('2026-12-02T00:00:00Z'), month: null }]);
  });

  it("cuts at each month's start (UTC), the first and last month only in part", () => {
    expect(windowsOf(at('2026-10-15T12:00:00Z'), at('2026-12-02T00:00:00Z'), true)).toEqual([
      { start: at('2026-10-15T12:00:00Z'), end: at('2026-11-01T00:00:00Z'), month: '2026-10' },
      { start: at('2026-11-01T00:00:00Z'), end: at('2026-12-01T00:00:00Z'), month: '2026-11' },
      { start: at('2026-12-01T00:00:00Z'), end: at('2026-12-02T00:00:00Z'), month: '2026-12' },
    ]);
  });

  it('crosses a year, and a period of exactly one month is one window', () => {
    expect(windowsOf(at('2026-12-01T00:00:00Z'), at('2027-02-01T00:00:00Z'), true).map((w) => w.month)).toEqual(['2026-12', '2027-01']);
    expect(windowsOf(at('2026-02-01T00:00:00Z'), at('2026-03-01T00:00:00Z'), true)).toHaveLength(1);
  });

  it('refuses a period that ends before it starts, naming `to`, and one of too many months', () => {
    expect(() => windowsOf(at('2026-11-01T00:00:00Z'), at('2026-11-01T00:00:00Z'), false)).toThrow(/^to: must be after from/);
    expect(() => windowsOf(at('2000-01-01T00:00:00Z'), at('2030-01-01T00:00:00Z'), true)).toThrow(new RegExp(`^to: a report by month covers at most ${MAX_MONTHS} months`));
    expect(windowsOf(at('2000-01-01T00:00:00Z'), at('2030-01-01T00:00:00Z'), false)).toHaveLength(1);
  });
});
