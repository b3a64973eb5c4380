import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useQuery } from 'urql';
import { describeError } from '../api/client';
import { UsagePageBalanceDocument, UsagePageReportDocument, type UsageGrouping, type UsagePageReportQuery } from '../api/generated';
import { TextInput } from '../components/fields';
import { DateInput, SelectField } from '../components/plain-fields';
import { ScrollTable } from '../components/scroll-table';
import { Loading, Problem } from '../components/status';
import { formatHours } from '../format';
import { useMe } from '../session';
import { apelHref, csvHref, groupOf, GROUPINGS, isGrouping, periodOf, thisMonth } from './usage-period';
import './usage.css';

type Row = UsagePageReportQuery['usageReport'][number];

/** Hours as the table shows them: small amounts (a few minutes' run) to the hundredth, not rounded to nothing. */
function hours(n: number): string {
  return n !== 0 && Math.abs(n) < 10 ? n.toLocaleString('en', { maximumFractionDigits: 2 }) : formatHours(n);
}

/** A group's name short enough for the chart's axis (the tooltip and the table have it whole). */
function shortLabel(name: string): string {
  return name.length > 15 ? `${name.slice(0, 14)}…` : name;
}

/** The chart shows the largest groups only; the table has them all. */
const CHART_GROUPS = 20;

/**
 * Charged usage of a period (this month unless chosen), grouped as chosen: a table, a chart of
 * core-hours, the same period as CSV and APEL; for federation admins, what each institution lent
 * and borrowed. The choices are kept in the address, so a report can be shared by its link.
 */
export default function Usage() {
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const month = useMemo(() => thisMonth(new Date()), []);
  const fromDay = params.get('from') ?? month.from;
  const toDay = params.get('to') ?? month.to;
  const groupParam = params.get('groupBy');
  const grouping: UsageGrouping = isGrouping(groupParam) ? groupParam : 'PROJECT';
  const projectId = params.get('project') || undefined;
  const { period, errors } = periodOf(fromDay, toDay);
  const federationAdmin = me.roles.some((g) => g.role === 'FEDERATION_ADMIN');

  const choose = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    next.set(key, value);
    setParams(next, { replace: true });
  };
  const groupLabel = GROUPINGS.find((g) => g.value === grouping)!.label;

  return (
    <>
      <h1>Usage</h1>
      <p className="hint">Charged usage, per started minute, as budgets are charged: a minute counts in the period it starts in. Days are UTC days, both included.</p>
      <div className="usage-choices" role="group" aria-label="Report">
        <DateInput label="From" value={fromDay} onChange={(v) => choose('from', v)} error={errors.from} />
        <DateInput label="To" value={toDay} min={fromDay} onChange={(v) => choose('to', v)} error={errors.to} />
        <SelectField label="Group by" value={grouping} onChange={(v) => choose('groupBy', v)}>
          {GROUPINGS.map((g) => (
            <option key={g.value} value={g.value}>
              {g.label}
            </option>
          ))}
        </SelectField>
        {me.projects.length > 1 && (
          <SelectField label="Project" value={projectId ?? ''} onChange={(v) => choose('project', v)}>
            <option value="">All you may see</option>
            {me.projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </SelectField>
        )}
      </div>
      {period && <Report period={period} grouping={grouping} groupLabel={groupLabel} projectId={projectId} fromDay={fromDay} toDay={toDay} />}
      {period && federationAdmin && <Balance period={period} />}
    </>
  );
}

function Report({ period, grouping, groupLabel, projectId, fromDay, toDay }: { period: { from: string; to: string }; grouping: UsageGrouping; groupLabel: string; projectId: string | undefined; fromDay: string; toDay: string }) {
  const [{ data, error, fetching }] = useQuery({ query: UsagePageReportDocument, variables: { from: period.from, to: period.to, groupBy: [grouping], projectId } });
  const rows = data?.usageReport ?? [];
  const chart = useMemo(
    () =>
      [...rows]
        .sort((a, b) => b.coreHours - a.coreHours)
        .slice(0, CHART_GROUPS)
        .map((row) => ({ group: groupOf(row, grouping), coreHours: Math.round(row.coreHours * 100) / 100 })),
    [rows, grouping],
  );
  const periodWords = fromDay === toDay ? fromDay : `${fromDay} to ${toDay}`;
  return (
    <section aria-labelledby="usage-report-heading">
      <h2 id="usage-report-heading">
        By {groupLabel.toLowerCase()}, {periodWords}
      </h2>
      <Downloads period={period} grouping={grouping} projectId={projectId} />
      {error && <Problem>{describeError(error)}</Problem>}
      {fetching && !data && <Loading what="usage" />}
      {data && rows.length === 0 && <p>No usage was charged in this period{projectId ? ' to this project' : ''}.</p>}
      {rows.length > 0 && (
        <>
          <UsageTable rows={rows} grouping={grouping} groupLabel={groupLabel} periodWords={periodWords} />
          <figure className="chart usage-chart">
            <figcaption>
              Core-hours by {groupLabel.toLowerCase()}
              {rows.length > CHART_GROUPS && ` (the ${CHART_GROUPS} largest)`}
            </figcaption>
            <ResponsiveContainer width="100%" height={Math.max(120, 44 + chart.length * 32)}>
              <BarChart data={chart} layout="vertical" margin={{ left: 8, right: 16 }} accessibilityLayer>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" />
                <YAxis type="category" dataKey="group" width={110} tickFormatter={shortLabel} />
                <Tooltip />
                <Bar dataKey="coreHours" name="core-hours" fill="#2f6db5" />
              </BarChart>
            </ResponsiveContainer>
          </figure>
        </>
      )}
    </section>
  );
}

function UsageTable({ rows, grouping, groupLabel, periodWords }: { rows: Row[]; grouping: UsageGrouping; groupLabel: string; periodWords: string }) {
  const total = (pick: (r: Row) => number) => rows.reduce((sum, r) => sum + pick(r), 0);
  return (
    <ScrollTable label="Usage table">
      <table className="usage-table">
        <caption className="visually-hidden">
          Usage by {groupLabel.toLowerCase()}, {periodWords}
        </caption>
        <thead>
          <tr>
            <th scope="col">{groupLabel}</th>
            <th scope="col" className="number">
              Core-hours
            </th>
            <th scope="col" className="number">
              GPU-hours
            </th>
            <th scope="col" className="number">
              Instance-hours
            </th>
            <th scope="col" className="number">
              Instances
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={`${groupOf(row, grouping)}-${i}`}>
              <th scope="row">{groupOf(row, grouping)}</th>
              <td className="number">{hours(row.coreHours)}</td>
              <td className="number">{hours(row.gpuHours)}</td>
              <td className="number">{hours(row.instanceHours)}</td>
              <td className="number">{row.instances}</td>
            </tr>
          ))}
        </tbody>
        {rows.length > 1 && (
          <tfoot>
            <tr>
              <th scope="row">In all</th>
              <td className="number">{hours(total((r) => r.coreHours))}</td>
              <td className="number">{hours(total((r) => r.gpuHours))}</td>
              <td className="number">{hours(total((r) => r.instanceHours))}</td>
              <td className="number">—</td>
            </tr>
          </tfoot>
        )}
      </table>
    </ScrollTable>
  );
}

/** The same period as files: the CSV of this grouping, and APEL's records a page at a time. */
function Downloads({ period, grouping, projectId }: { period: { from: string; to: string }; grouping: UsageGrouping; projectId: string | undefined }) {
  const [page, setPage] = useState('1');
  const pageNumber = /^\s*[1-9]\d{0,5}\s*$/.test(page) ? Number(page) : undefined;
  return (
    <div className="usage-downloads" role="group" aria-label="Downloads">
      <a className="button" href={csvHref(period, grouping, projectId)} download="skypool-usage.csv">
        Download CSV
      </a>
      <div className="usage-apel">
        <TextInput label="APEL page" value={page} onChange={setPage} inputMode="numeric" error={pageNumber ? undefined : 'a page number: 1, 2, ...'} description="100 records a page" />
        {pageNumber ? (
          <a className="button" href={apelHref(period, pageNumber)} download={`skypool-apel-${String(pageNumber).padStart(5, '0')}.apel`}>
            Download APEL
          </a>
        ) : (
          <span className="button" aria-disabled="true">
            Download APEL
          </span>
        )}
      </div>
    </div>
  );
}

function Balance({ period }: { period: { from: string; to: string } }) {
  const [{ data, error, fetching }] = useQuery({ query: UsagePageBalanceDocument, variables: period });
  const rows = data?.federationBalance ?? [];
  return (
    <section aria-labelledby="balance-heading">
      <h2 id="balance-heading">The federation&apos;s balance</h2>
      <p className="hint">Core-hours each institution&apos;s sites ran for other institutions&apos; projects (lent), and its projects ran at other institutions&apos; sites (borrowed).</p>
      {error && <Problem>{describeError(error)}</Problem>}
      {fetching && !data && <Loading what="the balance" />}
      {data && rows.length === 0 && <p>No institution lent or borrowed in this period.</p>}
      {rows.length > 0 && (
        <ScrollTable label="Balance table">
          <table className="usage-table">
            <caption className="visually-hidden">Lent and borrowed core-hours per institution</caption>
            <thead>
              <tr>
                <th scope="col">Institution</th>
                <th scope="col" className="number">
                  Lent
                </th>
                <th scope="col" className="number">
                  Borrowed
                </th>
                <th scope="col" className="number">
                  Net
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.institution}>
                  <th scope="row">{row.institution}</th>
                  <td className="number">{hours(row.lentCoreHours)}</td>
                  <td className="number">{hours(row.borrowedCoreHours)}</td>
                  <td className="number">
                    {row.netCoreHours > 0 ? '+' : ''}
                    {hours(row.netCoreHours)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
    </section>
  );
}
