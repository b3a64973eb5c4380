import { describe, expect, it } from '@jest/globals';
import { budgetLeft, chargeDue, chooseAllocation, newlyExhausted, spend, startedMinutes, thresholdsCrossed, usedPercent, type Budget, type BudgetedAllocation } from './charges.js';

const t0 = new Date('2026-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const MINUTE = 60_000;

describe('startedMinutes', () => {
  it('counts every minute begun, the first one from the first millisecond', () => {
    expect(startedMinutes(t0, t0)).toBe(0);
    expect(startedMinutes(t0, at(1))).toBe(1);
    expect(startedMinutes(t0, at(MINUTE))).toBe(1);
    expect(startedMinutes(t0, at(MINUTE + 1))).toBe(2);
    expect(startedMinutes(t0, at(30 * MINUTE + 4_000))).toBe(31);
    expect(startedMinutes(t0, at(365 * 24 * 60 * MINUTE))).toBe(525_600);
  });

  it('never goes negative when the clock reads earlier than the start', () => {
    expect(startedMinutes(t0, at(-5 * MINUTE))).toBe(0);
  });
});

describe('chargeDue', () => {
  const instance = (over: Partial<Parameters<typeof chargeDue>[0]> = {}) => ({ vcpus: 4, gpus: 1, startedAt: t0, endedAt: null, chargedMinutes: 0, ...over });

  it('charges started minutes less what was charged, in whole vCPU- and GPU-minutes', () => {
    expect(chargeDue(instance(), at(10 * MINUTE + 1))).toEqual({ minutes: 11, vcpuMinutes: 44, gpuMinutes: 11, until: at(10 * MINUTE + 1) });
    expect(chargeDue(instance({ chargedMinutes: 9 }), at(10 * MINUTE + 1))).toEqual({ minutes: 2, vcpuMinutes: 8, gpuMinutes: 2, until: at(10 * MINUTE + 1) });
  });

  it('stops at the end of an ended instance, however late the charge runs', () => {
    const ended = at(3 * MINUTE);
    expect(chargeDue(instance({ endedAt: ended }), at(90 * MINUTE))).toEqual({ minutes: 3, vcpuMinutes: 12, gpuMinutes: 3, until: ended });
    expect(chargeDue(instance({ endedAt: ended, chargedMinutes: 3 }), at(90 * MINUTE))).toBeNull();
  });

  it('owes nothing before it started or once every started minute is charged', () => {
    expect(chargeDue(instance({ startedAt: null }), at(MINUTE))).toBeNull();
    expect(chargeDue(instance({ chargedMinutes: 1 }), at(MINUTE))).toBeNull();
  });
});

describe('budgets', () => {
  const allocation = (id: string, coreHours: number | null, gpuHours: number | null = null): BudgetedAllocation => ({
    id,
    projectId: 'p',
    coreHours,
    gpuHours,
    endsAt: null,
    revokedAt: null,
    exhaustedAt: null,
  });
  const nothing = { vcpuMinutes: 0, gpuMinutes: 0 };

  it('leaves what was granted less what was charged, in whole minutes', () => {
    expect(budgetLeft(allocation('a', 10, 2), { vcpuMinutes: 62, gpuMinutes: 30 })).toMatchObject({ vcpuMinutesLeft: 538, gpuMinutesLeft: 90 });
    // 4.15 x 60 is 249.00000000000003 in floats: a charge of 249 vCPU-minutes spends it exactly
    const b = budgetLeft(allocation('a', 4.15), nothing);
    expect(b.vcpuMinutesLeft).toBe(249);
    spend(b, { vcpuMinutes: 249, gpuMinutes: 0 });
    expect(b.vcpuMinutesLeft).toBe(0);
    expect(newlyExhausted(b)).toBe(true);
  });

  it('charges the soonest-ending allocation with budget left first', () => {
    const spent = budgetLeft(allocation('spent', 1), { vcpuMinutes: 60, gpuMinutes: 0 });
    const limited = budgetLeft(allocation('limited', 10), nothing);
    const unlimited = budgetLeft(allocation('unlimited', null), nothing);
    expect(chooseAllocation([spent, limited, unlimited])?.allocation.id).toBe('limited');
    expect(chooseAllocation([unlimited, limited])?.allocation.id).toBe('limited');
  });

  it('falls back to an unlimited allocation, then to the soonest-ending spent one', () => {
    const spentA = budgetLeft(allocation('spent-a', 1), { vcpuMinutes: 60, gpuMinutes: 0 });
    const spentB = budgetLeft(allocation('spent-b', 2), { vcpuMinutes: 150, gpuMinutes: 0 });
    const unlimited = budgetLeft(allocation('unlimited', null), nothing);
    expect(chooseAllocation([spentA, spentB, unlimited])?.allocation.id).toBe('unlimited');
    expect(chooseAllocation([spentA, spentB])?.allocation.id).toBe('spent-a');
    expect(chooseAllocation([])).toBeUndefined();
  });

  it('counts a budget as spent when either of its limits is', () => {
    const gpuSpent = budgetLeft(allocation('a', 10, 1), { vcpuMinutes: 0, gpuMinutes: 60 });
    expect(newlyExhausted(gpuSpent)).toBe(true);
    const other = budgetLeft(allocation('b', 10, null), nothing);
    expect(chooseAllocation([gpuSpent, other])?.allocation.id).toBe('b');
  });

  it('marks a budget used up once, and never an unlimited one', () => {
    const overdrawn = budgetLeft({ ...allocation('a', 1), exhaustedAt: t0 }, { vcpuMinutes: 90, gpuMinutes: 0 });
    expect(newlyExhausted(overdrawn)).toBe(false);
    const unlimited = budgetLeft(allocation('u', null), { vcpuMinutes: 10_000, gpuMinutes: 0 });
    expect(newlyExhausted(unlimited)).toBe(false);
    const oneMinuteLeft = budgetLeft(allocation('m', 1), { vcpuMinutes: 59, gpuMinutes: 0 });
    expect(newlyExhausted(oneMinuteLeft)).toBe(false);
  });

  it('takes a charge off both budgets', () => {
    const b: Budget = budgetLeft(allocation('a', 10, 10), nothing);
    spend(b, { vcpuMinutes: 120, gpuMinutes: 30 });
    spend(b, { vcpuMinutes: 1, gpuMinutes: 1 });
    expect(b).toMatchObject({ vcpuMinutesLeft: 479, gpuMinutesLeft: 569 });
  });

  it('measures the used share of the larger budget, and which thresholds a charge crossed', () => {
    expect(usedPercent(budgetLeft(allocation('a', 10, null), { vcpuMinutes: 300, gpuMinutes: 0 }))).toBe(50);
    expect(usedPercent(budgetLeft(allocation('b', 10, 1), { vcpuMinutes: 60, gpuMinutes: 54 }))).toBe(90);
    expect(usedPercent(budgetLeft(allocation('c', null), { vcpuMinutes: 10_000, gpuMinutes: 0 }))).toBe(0);
    expect(usedPercent(budgetLeft(allocation('d', 0), nothing))).toBe(100);
    expect(thresholdsCrossed(0, 49.9)).toEqual([]);
    expect(thresholdsCrossed(10, 85).map((t) => t.kind)).toEqual(['BUDGET_50', 'BUDGET_80']);
    expect(thresholdsCrossed(50, 100).map((t) => t.kind)).toEqual(['BUDGET_80', 'BUDGET_100']);
    expect(thresholdsCrossed(100, 130)).toEqual([]);
  });
});
