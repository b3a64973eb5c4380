import { budgetMinutes, ceilTimes, floorTimes } from './exact-decimal.js';

describe('exact decimal products', () => {
  it('multiplies the decimal a number prints as, not its binary approximation', () => {
    expect(4.15 * 60).not.toBe(249);
    expect(ceilTimes(4.15, 60)).toBe(249);
    expect(floorTimes(2.05, 60)).toBe(123);
    expect(floorTimes(1.15, 3_600_000)).toBe(4_140_000);
    expect(floorTimes(1 - 0.9, 10)).toBe(0); // 1 - 0.9 prints as 0.09999999999999998: a real difference, kept
    expect(floorTimes(0.1, 10)).toBe(1);
  });

  it('rounds towards minus and plus infinity', () => {
    expect(floorTimes(0.333, 60)).toBe(19);
    expect(ceilTimes(0.333, 60)).toBe(20);
    expect(floorTimes(-0.5, 3)).toBe(-2);
    expect(ceilTimes(-0.5, 3)).toBe(-1);
  });

  it('reads exponents both ways', () => {
    expect(floorTimes(1e-7, 60)).toBe(0);
    expect(ceilTimes(1e-7, 60)).toBe(1);
    expect(floorTimes(1e21, 60)).toBe(6e22);
    expect(floorTimes(2.5e-3, 1000)).toBe(2);
    expect(ceilTimes(2.5e-3, 1000)).toBe(3);
  });

  it('refuses what is not a number', () => {
    expect(() => floorTimes(Number.NaN, 60)).toThrow(RangeError);
    expect(() => floorTimes(Infinity, 60)).toThrow(RangeError);
  });

  it('gives budgets in whole unit-minutes, a fraction of a minute rounded up', () => {
    expect(budgetMinutes(10)).toBe(600);
    expect(budgetMinutes(0.1)).toBe(6);
    expect(budgetMinutes(0.3333)).toBe(20);
    expect(budgetMinutes(10_000_000)).toBe(600_000_000);
    expect(budgetMinutes(0)).toBe(0);
  });
});

describe('exact decimal products beyond 2^53', () => {
  it('falls back to big integers where doubles would round', () => {
    expect(floorTimes(0.1, 2 ** 60)).toBe(Number((2n ** 60n) / 10n));
    expect(ceilTimes(0.123456789, 10 ** 12)).toBe(123_456_789_000);
    expect(floorTimes(1e-20, 3)).toBe(0);
    expect(ceilTimes(1e-20, 3)).toBe(1);
  });
});
