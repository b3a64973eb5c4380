import { useState } from 'react';
import { Button } from 'react-aria-components';
import { useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { describeError } from '../../api/client';
import { AdminAuditEventsDocument, AdminAuditNamesDocument, type AdminAuditEventsQuery } from '../../api/generated';
import { Loading, Problem } from '../../components/status';
import { formatTime } from '../../format';
import './audit.css';

type AuditEvent = AdminAuditEventsQuery['auditEvents'][number];

const PAGE_SIZE = 50;

/** Every action the broker writes to the log, in words. */
export const AUDIT_ACTIONS: Record<string, string> = {
  'site.register': 'registered a site',
  'site.update': "changed a site's settings",
  'site.drain': 'drained a site',
  'site.resume': 'resumed a site',
  'site.remove': 'removed a site',
  'site.restore': 'restored a site',
  'project.create': 'created a project',
  'project.priority': "set a project's priority factor",
  'allocation.grant': 'granted an allocation',
  'allocation.update': 'changed an allocation',
  'allocation.revoke': 'revoked an allocation',
  'member.add': 'added a project member',
  'member.remove': 'removed a project member',
  'apiToken.create': 'made an API token',
  'apiToken.revoke': 'revoked an API token',
  'serviceAccount.create': 'made a service account',
  'request.extendLease': "extended a request's lease",
};

/** The audit log: who changed what, when, with the settings before and after; newest first, a page at a time. */
export default function AdminAudit() {
  const [params, setParams] = useSearchParams();
  const action = params.get('action') || undefined;
  // the cursors of the pages before this one: "Newer" pops one
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors.at(-1);
  const [{ data, error, fetching }] = useQuery({ query: AdminAuditEventsDocument, variables: { action, first: PAGE_SIZE + 1, after }, requestPolicy: 'cache-and-network' });
  const [{ data: names }] = useQuery({ query: AdminAuditNamesDocument });
  const nameOf = new Map<string, string>([...(names?.sites ?? []), ...(names?.projects ?? [])].map((x) => [x.id, x.name]));

  const filter = (value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set('action', value);
    else next.delete('action');
    setParams(next, { replace: true });
    setCursors([]);
  };
  const rows = data?.auditEvents.slice(0, PAGE_SIZE) ?? [];
  const more = (data?.auditEvents.length ?? 0) > PAGE_SIZE;
  const actions = Object.keys(AUDIT_ACTIONS);
  if (action && !actions.includes(action)) actions.push(action);

  return (
    <>
      <h1>Audit log</h1>
      <p>Every administrative change (sites, projects, allocations, members, tokens, leases extended), with who made it and the settings before and after; secrets are never kept.</p>
      <div className="filters audit-filters" role="group" aria-label="Filters">
        <label>
          Action{' '}
          <select value={action ?? ''} onChange={(e) => filter(e.target.value)}>
            <option value="">All actions</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
                {AUDIT_ACTIONS[a] ? `: ${AUDIT_ACTIONS[a]}` : ''}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && <Problem>{describeError(error)}</Problem>}
      {fetching && !data && <Loading what="the audit log" />}
      {data && rows.length === 0 && <p>{action ? `No ${action} events${cursors.length ? ' on this page' : ''}.` : 'Nothing was changed yet.'}</p>}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="audit">
            <caption className="visually-hidden">Administrative changes, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((event) => (
                <EventRows key={event.id} event={event} target={targetName(event, nameOf)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Pages">
        <Button className="button" isDisabled={cursors.length === 0} onPress={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </Button>
        <Button className="button" isDisabled={!more} onPress={() => setCursors([...cursors, rows.at(-1)!.id])}>
          Older
        </Button>
      </nav>
    </>
  );
}

/** The target's name: a site or project the caller can see by its id, else the name the event carries. */
function targetName(event: AuditEvent, nameOf: Map<string, string>): string | undefined {
  const known = nameOf.get(event.targetId);
  if (known) return known;
  const carried = event.after?.name ?? event.before?.name;
  return typeof carried === 'string' ? carried : undefined;
}

/** JSON with sorted keys, so that the same value reads the same before and after. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v)) ?? '';
}

function show(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.length ? value.join(', ') : 'none';
  return stable(value);
}

/** One event, and below it, when asked for, its settings before and after. */
function EventRows({ event, target }: { event: AuditEvent; target: string | undefined }) {
  const [open, setOpen] = useState(false);
  const before = event.before ?? undefined;
  const after = event.after ?? undefined;
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  // for a change, the fields that differ; for a creation or a removal, all of them
  const shown = before && after ? keys.filter((k) => stable(before[k]) !== stable(after[k])) : keys;
  const label = before && after ? `${shown.length} changed` : before ? 'As it was' : 'As made';
  const detailsId = `audit-details-${event.id}`;
  return (
    <>
      <tr>
        <td>
          <time dateTime={event.at}>{formatTime(event.at)}</time>
        </td>
        <td>
          {event.actorName}
          <span className="audit-sub">{event.actorId}</span>
        </td>
        <td>
          {AUDIT_ACTIONS[event.action] ?? event.action}
          <span className="audit-sub">
            <code>{event.action}</code>
          </span>
        </td>
        <td>
          {event.targetType} {target ?? <span className="muted">{event.targetId.slice(0, 8)}</span>}
          <span className="audit-sub">{event.targetId}</span>
        </td>
        <td>
          {shown.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <Button className="button quiet audit-toggle" aria-expanded={open} aria-controls={detailsId} aria-label={`${label}: ${event.action} at ${formatTime(event.at)}`} onPress={() => setOpen(!open)}>
              {open ? '▾' : '▸'} {label}
            </Button>
          )}
        </td>
      </tr>
      {shown.length > 0 && (
        <tr id={detailsId} className="audit-details" hidden={!open}>
          <td colSpan={5}>
            <table className="audit-changes">
              <caption className="visually-hidden">
                {event.action} at {formatTime(event.at)}: {label}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  {before && <th scope="col">Before</th>}
                  {after && <th scope="col">After</th>}
                </tr>
              </thead>
              <tbody>
                {shown.map((key) => (
                  <tr key={key}>
                    <th scope="row">{key}</th>
                    {before && <td>{show(before[key])}</td>}
                    {after && <td>{show(after[key])}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </td>
        </tr>
      )}
    </>
  );
}
