import type { Allocation } from '../allocations/entities/allocation.entity.js';
import { budgetMinutes } from '../allocator/core/exact-decimal.js';
import type { NotificationKind } from '../common/notifier.js';
import type { Instance } from '../requests/entities/instance.entity.js';

/**
 * The arithmetic of charging, apart from the SQL that feeds it: run time is charged per started
 * minute, in whole vCPU-minutes and GPU-minutes, so every sum and comparison here is exact.
 */

export const MINUTE_MS = 60_000;

/** Started minutes of run time of an instance up to `until`. */
export function startedMinutes(startedAt: Date, until: Date): number {
  return Math.max(0, Math.ceil((until.getTime() - startedAt.getTime()) / MINUTE_MS));
}

export interface Charge {
  /** Started minutes not charged before. */
  minutes: number;
  vcpuMinutes: number;
  gpuMinutes: number;
  /** The end of the charged run time: when the instance ended, else now. */
  until: Date;
}

/** What an instance owes at `now`: its started minutes (until it ended) less what was charged before; null when nothing. */
export function chargeDue(instance: Pick<Instance, 'vcpus' | 'gpus' | 'startedAt' | 'endedAt' | 'chargedMinutes'>, now: Date): Charge | null {
  if (!instance.startedAt) return null;
  const until = instance.endedAt && instance.endedAt < now ? instance.endedAt : now;
  const minutes = startedMinutes(instance.startedAt, until) - instance.chargedMinutes;
  if (minutes <= 0) return null;
  return { minutes, vcpuMinutes: instance.vcpus * minutes, gpuMinutes: instance.gpus * minutes, until };
}

export type BudgetedAllocation = Pick<Allocation, 'id' | 'projectId' | 'coreHours' | 'gpuHours' | 'endsAt' | 'revokedAt' | 'exhaustedAt'>;

/** An allocation with what is left of its budgets (whole unit-minutes) during one charge. */
export interface Budget {
  allocation: BudgetedAllocation;
  vcpuMinutesLeft: number;
  gpuMinutesLeft: number;
}

/** An allocation's budgets less what was charged to it. An unlimited budget's "left" is unused. */
export function budgetLeft(allocation: BudgetedAllocation, charged: { vcpuMinutes: number; gpuMinutes: number }): Budget {
  return {
    allocation,
    vcpuMinutesLeft: budgetMinutes(allocation.coreHours ?? 0) - charged.vcpuMinutes,
    gpuMinutesLeft: budgetMinutes(allocation.gpuHours ?? 0) - charged.gpuMinutes,
  };
}

const isLimited = (b: Budget) => b.allocation.coreHours !== null || b.allocation.gpuHours !== null;
const hasLeft = (b: Budget) => (b.allocation.coreHours === null || b.vcpuMinutesLeft > 0) && (b.allocation.gpuHours === null || b.gpuMinutesLeft > 0);

/**
 * The allocation a charge goes to, from the project's allocations in force soonest-ending first:
 * the first with a budget and budget left; else one without a budget; else (every budget spent)
 * the soonest-ending one, which then goes negative.
 */
export function chooseAllocation(budgets: Budget[]): Budget | undefined {
  return budgets.find((b) => isLimited(b) && hasLeft(b)) ?? budgets.find((b) => !isLimited(b)) ?? budgets[0];
}

/** Takes a charge off a budget. */
export function spend(budget: Budget, charge: Pick<Charge, 'vcpuMinutes' | 'gpuMinutes'>): void {
  budget.vcpuMinutesLeft -= charge.vcpuMinutes;
  budget.gpuMinutesLeft -= charge.gpuMinutes;
}

/** The budget thresholds people are told of. */
export const BUDGET_THRESHOLDS: readonly { percent: number; kind: NotificationKind }[] = [
  { percent: 50, kind: 'BUDGET_50' },
  { percent: 80, kind: 'BUDGET_80' },
  { percent: 100, kind: 'BUDGET_100' },
];

/** How much of a budget is used, in percent: the larger of its core-hour and GPU-hour shares (0 without a budget). */
export function usedPercent(budget: Budget): number {
  const share = (granted: number | null, left: number) => {
    if (granted === null) return 0;
    const minutes = budgetMinutes(granted);
    return minutes <= 0 ? 100 : ((minutes - left) / minutes) * 100;
  };
  return Math.max(share(budget.allocation.coreHours, budget.vcpuMinutesLeft), share(budget.allocation.gpuHours, budget.gpuMinutesLeft));
}

/** The thresholds a budget crossed between two readings of usedPercent. */
export function thresholdsCrossed(before: number, after: number): (typeof BUDGET_THRESHOLDS)[number][] {
  return BUDGET_THRESHOLDS.filter((t) => before < t.percent && after >= t.percent);
}

/** Whether a budget not yet marked used up is now: a limited budget with nothing left. */
export function newlyExhausted(budget: Budget): boolean {
  const { allocation } = budget;
  return allocation.exhaustedAt === null && ((allocation.coreHours !== null && budget.vcpuMinutesLeft <= 0) || (allocation.gpuHours !== null && budget.gpuMinutesLeft <= 0));
}
