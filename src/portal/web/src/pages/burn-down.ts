/** One point of a budget's burn-down: core-hours left then, as recorded, or as the current rate projects. */
export interface BurnDownPoint {
  label: string;
  left?: number;
  projected?: number;
}

/**
 * A core-hour budget's burn-down from its monthly usage: what was left at the start of each month
 * (what is left now plus what was charged since), now, and the day the current rate (core-hours a
 * day) brings it to zero. Without a rate there is no projection.
 */
export function burnDown(months: { month?: string | null; coreHours: number }[], leftNow: number, perDay: number, now: Date): BurnDownPoint[] {
  const sorted = months.filter((m): m is { month: string; coreHours: number } => !!m.month).sort((a, b) => a.month.localeCompare(b.month));
  let chargedSince = sorted.reduce((sum, m) => sum + m.coreHours, 0);
  const points: BurnDownPoint[] = [];
  for (const m of sorted) {
    points.push({ label: m.month, left: leftNow + chargedSince });
    chargedSince -= m.coreHours;
  }
  points.push({ label: 'now', left: leftNow, ...(perDay > 0 && leftNow > 0 ? { projected: leftNow } : {}) });
  if (perDay > 0 && leftNow > 0) {
    const runsOut = new Date(now.getTime() + (leftNow / perDay) * 86_400_000);
    points.push({ label: runsOut.toISOString().slice(0, 10), projected: 0 });
  }
  return points;
}
