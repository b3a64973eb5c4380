import { useCallback, useState } from 'react';
import { Button } from 'react-aria-components';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { describeError } from '../api/client';
import { RequestsDocument, type RequestState } from '../api/generated';
import { ScrollTable } from '../components/scroll-table';
import { StateBadge } from '../components/state-badge';
import { Loading, Problem } from '../components/status';
import { formatMemory, formatTime } from '../format';
import { useMe } from '../session';
import { usePolling } from '../use-polling';

const PAGE_SIZE = 50;
const STATES: RequestState[] = ['PENDING', 'QUEUED', 'PROVISIONING', 'RUNNING', 'TERMINATING', 'TERMINATED', 'EXPIRED', 'CANCELLED', 'FAILED'];

/** The requests the caller may see, newest first, filtered by project and state, a page at a time. */
export default function Requests() {
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const projectId = params.get('project') || undefined;
  const state = (params.get('state') || undefined) as RequestState | undefined;
  // the cursors of the pages before this one: "Previous page" pops one
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors.at(-1);
  const [{ data, error, fetching }, refresh] = useQuery({
    query: RequestsDocument,
    variables: { projectId, states: state ? [state] : undefined, first: PAGE_SIZE + 1, after },
  });
  usePolling(useCallback(() => refresh({ requestPolicy: 'network-only' }), [refresh]), 5000);

  const filter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
    setCursors([]);
  };
  const rows = data?.resourceRequests.slice(0, PAGE_SIZE) ?? [];
  const more = (data?.resourceRequests.length ?? 0) > PAGE_SIZE;

  return (
    <>
      {/* one way to the form per page, the navigation's "New request": a second would make that name ambiguous */}
      <h1>Requests</h1>
      <div className="filters" role="group" aria-label="Filters">
        <label>
          Project{' '}
          <select value={projectId ?? ''} onChange={(e) => filter('project', e.target.value)}>
            <option value="">All projects</option>
            {me.projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          State{' '}
          <select value={state ?? ''} onChange={(e) => filter('state', e.target.value)}>
            <option value="">All states</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && <Problem>{describeError(error)}</Problem>}
      {fetching && !data && <Loading what="requests" />}
      {data && rows.length === 0 && <p>No requests{projectId || state ? ' match these filters' : ' yet'}.</p>}
      {rows.length > 0 && (
        <ScrollTable label="Requests, newest first">
          <table>
            <caption className="visually-hidden">Requests, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Project</th>
                <th scope="col">State</th>
                <th scope="col">Size</th>
                <th scope="col">Submitted</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/requests/${r.id}`}>
                      {r.image} <span className="id">{r.id.slice(0, 8)}</span>
                    </Link>
                  </td>
                  <td>{r.project.name}</td>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td>
                    {r.count} × {r.vcpus} vCPU, {formatMemory(r.memoryMiB)}
                    {r.gpus > 0 && `, ${r.gpus} GPU`}
                  </td>
                  <td>{formatTime(r.createdAt)}</td>
                  <td>{r.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      <nav className="pager" aria-label="Pages">
        <Button className="button" isDisabled={cursors.length === 0} onPress={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </Button>
        <Button className="button" isDisabled={!more} onPress={() => setCursors([...cursors, rows.at(-1)!.id])}>
          Next page
        </Button>
      </nav>
    </>
  );
}
