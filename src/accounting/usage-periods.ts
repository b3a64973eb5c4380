import { BadInputError } from '../common/errors.js';

/**
 * The periods a report is cut into. A report counts an instance's charged minutes by where each
 * minute starts: the minute from 10:59 to 11:00 belongs to a period that ends at 11:00, the one
 * from 11:00 on to the next. So the periods of a report never count a minute twice, and the
 * minutes of a month's days add up to the month's.
 */
export interface Window {
  start: Date;
  end: Date;
  /** `YYYY-MM` (UTC) when the report is cut by month */
  month: string | null;
}

/** A report by month covers at most this many months (20 years), so one query stays small. */
export const MAX_MONTHS = 240;

export function checkPeriod(from: Date, to: Date): void {
  if (Number.isNaN(from.getTime())) throw new BadInputError('from', 'is not a date and time');
  if (Number.isNaN(to.getTime())) throw new BadInputError('to', 'is not a date and time');
  if (to <= from) throw new BadInputError('to', `must be after from (${from.toISOString()})`);
}

/** The month (UTC) a moment falls in, as `YYYY-MM`. */
export function monthOf(moment: Date): string {
  return moment.toISOString().slice(0, 7);
}

function startOfMonth(moment: Date): Date {
  return new Date(Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), 1));
}

function nextMonth(monthStart: Date): Date {
  return new Date(Date.UTC(monthStart.getUTCFullYear(), monthStart.getUTCMonth() + 1, 1));
}

/** [from, to) whole, or cut at each month's start (UTC) when `byMonth`. */
export function windowsOf(from: Date, to: Date, byMonth: boolean): Window[] {
  checkPeriod(from, to);
  if (!byMonth) return [{ start: from, end: to, month: null }];
  const windows: Window[] = [];
  for (let monthStart = startOfMonth(from); monthStart < to; monthStart = nextMonth(monthStart)) {
    if (windows.length === MAX_MONTHS) throw new BadInputError('to', `a report by month covers at most ${MAX_MONTHS} months; ask for a shorter period`);
    const end = nextMonth(monthStart);
    windows.push({ start: monthStart < from ? from : monthStart, end: end > to ? to : end, month: monthOf(monthStart) });
  }
  return windows;
}
