import type { UsageGrouping, UsagePageReportQuery } from '../api/generated';

type Row = UsagePageReportQuery['usageReport'][number];

/** The groupings people choose from, as the API names them, with the CSV export's name. */
export const GROUPINGS: { value: UsageGrouping; label: string }[] = [
  { value: 'PROJECT', label: 'Project' },
  { value: 'SITE', label: 'Site' },
  { value: 'INSTITUTION', label: 'Institution' },
  { value: 'MONTH', label: 'Month' },
  { value: 'IMAGE', label: 'Image' },
  { value: 'INSTANCE_TYPE', label: 'Instance type' },
];

export function isGrouping(value: string | null): value is UsageGrouping {
  return GROUPINGS.some((g) => g.value === value);
}

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day of a moment, as a date field holds it. */
const dayOf = (date: Date) => date.toISOString().slice(0, 10);

/** This month in UTC (the months of usage reports are UTC months), as the first and the last day. */
export function thisMonth(now: Date): { from: string; to: string } {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { from: dayOf(first), to: dayOf(new Date(next.getTime() - DAY_MS)) };
}

/**
 * The period of the days chosen, both included, as the API's [from, to): from 00:00 UTC of the
 * first day to 00:00 UTC after the last. Or, per field, what is wrong.
 */
export function periodOf(fromDay: string, toDay: string): { period?: { from: string; to: string }; errors: { from?: string; to?: string } } {
  const errors: { from?: string; to?: string } = {};
  if (!DAY.test(fromDay)) errors.from = 'choose the first day';
  if (!DAY.test(toDay)) errors.to = 'choose the last day';
  if (errors.from || errors.to) return { errors };
  const from = new Date(`${fromDay}T00:00:00Z`);
  const to = new Date(Date.parse(`${toDay}T00:00:00Z`) + DAY_MS);
  if (Number.isNaN(from.getTime())) errors.from = 'not a day of the calendar';
  if (Number.isNaN(to.getTime())) errors.to = 'not a day of the calendar';
  else if (to <= from) errors.to = 'on or after the first day';
  if (errors.from || errors.to) return { errors };
  return { period: { from: from.toISOString(), to: to.toISOString() }, errors };
}

/** The CSV export of the same report: `/accounting/usage.csv`, which the session cookie opens. */
export function csvHref(period: { from: string; to: string }, grouping: UsageGrouping, projectId: string | undefined): string {
  const query = new URLSearchParams({ from: period.from, to: period.to, groupBy: grouping.toLowerCase() });
  if (projectId) query.set('projectId', projectId);
  return `/accounting/usage.csv?${query.toString()}`;
}

/** A page of the APEL export of the period (at most 100 records a page). */
export function apelHref(period: { from: string; to: string }, page: number): string {
  return `/accounting/apel?${new URLSearchParams({ from: period.from, to: period.to, page: String(page) }).toString()}`;
}

/** What a row is the usage of, in words, for its grouping. */
export function groupOf(row: Row, grouping: UsageGrouping): string {
  const named = (() => {
    switch (grouping) {
      case 'PROJECT':
        return row.project?.name ?? row.projectName;
      case 'SITE':
        return row.site?.name;
      case 'INSTITUTION':
        return row.institution;
      case 'MONTH':
        return row.month;
      case 'IMAGE':
        return row.image;
      case 'INSTANCE_TYPE':
        return row.instanceType;
    }
  })();
  return named ?? '(unknown)';
}
