import { describe, expect, it } from '@jest/globals';
import { burnDown } from './burn-down';

describe("a budget's burn-down", () => {
  const now = new Date('2026-12-03T00:00:00Z');

  it('adds back what each month charged, then projects the current rate to zero', () => {
    const points = burnDown(
      [
        { month: '2026-12', coreHours: 10 },
        { month: '2026-11', coreHours: 30 },
      ],
      60,
      2,
      now,
    );
    expect(points).toEqual([
      { label: '2026-11', left: 100 },
      { label: '2026-12', left: 70 },
      { label: 'now', left: 60, projected: 60 },
      { label: '2027-01-02', projected: 0 },
    ]);
  });

  it('projects nothing without a rate, or once the budget is spent', () => {
    expect(burnDown([], 60, 0, now)).toEqual([{ label: 'now', left: 60 }]);
    expect(burnDown([{ month: '2026-12', coreHours: 5 }], -3, 1, now)).toEqual([
      { label: '2026-12', left: 2 },
      { label: 'now', left: -3 },
    ]);
  });
});
