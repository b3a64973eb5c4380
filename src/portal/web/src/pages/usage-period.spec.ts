import { describe, expect, it } from '@jest/globals';
import { apelHref, csvHref, periodOf, thisMonth } from './usage-period';

describe("the usage page's period", () => {
  it('defaults to this month in UTC, by its first and last day', () => {
    expect(thisMonth(new Date('2026-12-03T07:40:00Z'))).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(thisMonth(new Date('2028-02-29T23:59:59Z'))).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(thisMonth(new Date('2027-01-01T00:00:00Z'))).toEqual({ from: '2027-01-01', to: '2027-01-31' });
  });

  it('asks the API for [first day 00:00 UTC, the day after the last 00:00 UTC)', () => {
    expect(periodOf('2026-11-01', '2026-11-30').period).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    expect(periodOf('2026-11-05', '2026-11-05').period).toEqual({ from: '2026-11-05T00:00:00.000Z', to: '2026-11-06T00:00:00.000Z' });
  });

  it('says which day is wrong', () => {
    expect(periodOf('', '2026-11-30').errors).toEqual({ from: 'choose the first day' });
    expect(periodOf('2026-11-30', '').errors).toEqual({ to: 'choose the last day' });
    expect(periodOf('2026-11-30', '2026-11-01')).toEqual({ errors: { to: 'on or after the first day' } });
    expect(periodOf('2026-13-40', '2026-11-01').errors.from).toBe('not a day of the calendar');
  });

  it('links the exports of the same period, as the export controller reads them', () => {
    const period = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
    expect(csvHref(period, 'INSTANCE_TYPE', undefined)).toBe('/accounting/usage.csv?from=2026-11-01T00%3A00%3A00.000Z&to=2026-12-01T00%3A00%3A00.000Z&groupBy=instance_type');
    expect(csvHref(period, 'PROJECT', 'p1')).toContain('&groupBy=project&projectId=p1');
    expect(apelHref(period, 2)).toBe('/accounting/apel?from=2026-11-01T00%3A00%3A00.000Z&to=2026-12-01T00%3A00%3A00.000Z&page=2');
  });
});
