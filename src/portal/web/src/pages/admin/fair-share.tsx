import { useCallback } from 'react';
import { useQuery } from 'urql';
import { describeError } from '../../api/client';
import { AdminFairShareDocument, type AdminFairShareQuery } from '../../api/generated';
import { Loading, Problem } from '../../components/status';
import { ScrollTable } from '../../components/scroll-table';
import { formatHours, formatTime } from '../../format';
import { usePolling } from '../../use-polling';
import './fair-share.css';

type Project = AdminFairShareQuery['projects'][number];

/**
 * The allocator's score, as its core computes it (allocator/core/fair-share.ts): decayed usage plus
 * what running leases are promised, times the priority factor. Lowest goes first.
 */
export function fairShareScore(usage: Pick<Project['usage'], 'fairShareUsage' | 'coreHoursPromised' | 'priorityFactor'>): number {
  return usage.priorityFactor * (usage.fairShareUsage + usage.coreHoursPromised);
}

/** Projects in the order the allocator serves them, oldest request first inside each project. */
function inFairShareOrder(projects: readonly Project[]): Project[] {
  return [...projects].sort((a, b) => fairShareScore(a.usage) - fairShareScore(b.usage) || a.name.localeCompare(b.name));
}

const inForce = (p: Project) => p.usage.limits.vcpus > 0 || p.usage.limits.memoryMiB > 0;

/** The fair-share table: which project's waiting requests the allocator looks at first, and why. */
export default function AdminFairShare() {
  const [{ data, error, fetching }, refresh] = useQuery({ query: AdminFairShareDocument });
  usePolling(useCallback(() => refresh({ requestPolicy: 'network-only' }), [refresh]), 15_000);
  if (error && !data) return <Problem>{describeError(error)}</Problem>;
  if (fetching && !data) return <Loading what="fair-share" />;
  if (!data) return null;
  const projects = inFairShareOrder(data.projects);
  const status = data.allocatorStatus;
  return (
    <>
      <h1>Fair-share</h1>
      <p>
        Each allocator cycle takes waiting requests project by project, the lowest score first, and oldest first inside a project. A project that used less lately goes
        before one that used more; a higher priority factor is a smaller share (2 gets half the share of 1).
      </p>
      <section aria-labelledby="fair-share-cycle">
        <h2 id="fair-share-cycle">The last allocator cycle</h2>
        {status.lastCycleAt ? (
          <dl className="facts">
            <dt>When</dt>
            <dd>{formatTime(status.lastCycleAt)}</dd>
            <dt>Waiting requests looked at</dt>
            <dd>{status.considered}</dd>
            <dt>Placed</dt>
            <dd>
              {status.matched} ({Math.round(status.matchRate * 100)} %)
            </dd>
            <dt>Took</dt>
            <dd>{status.durationSeconds < 1 ? `${Math.round(status.durationSeconds * 1000)} ms` : `${status.durationSeconds.toFixed(1)} s`}</dd>
            <dt>Cycles so far</dt>
            <dd>{status.cycles.toLocaleString('en')}</dd>
          </dl>
        ) : (
          <p>No cycle has run yet.</p>
        )}
      </section>
      <section aria-labelledby="fair-share-order">
        <h2 id="fair-share-order">Projects in fair-share order</h2>
        {projects.length === 0 ? (
          <p>No projects that you may see.</p>
        ) : (
          <ScrollTable label="Fair-share table">
            <table className="fair-share-table" aria-describedby="fair-share-columns">
              <caption>Served first at the top</caption>
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">Project</th>
                  <th scope="col">Score</th>
                  <th scope="col">Decayed usage</th>
                  <th scope="col">Promised</th>
                  <th scope="col">Priority factor</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">vCPUs in use</th>
                  <th scope="col">Used, all time</th>
                </tr>
              </thead>
              <tbody>
                {projects.map((project, i) => (
                  <tr key={project.id}>
                    <td>{i + 1}</td>
                    <th scope="row">
                      {project.name}
                      <span className="fair-share-sub">{project.institution}</span>
                      {!inForce(project) && <span className="fair-share-sub">no allocation in force: nothing of it is placed</span>}
                    </th>
                    <td>{formatHours(fairShareScore(project.usage))}</td>
                    <td>{formatHours(project.usage.fairShareUsage)} core-hours</td>
                    <td>{formatHours(project.usage.coreHoursPromised)} core-hours</td>
                    <td>{project.usage.priorityFactor.toLocaleString('en')}</td>
                    <td>{project.waiting.length > 100 ? 'over 100' : project.waiting.length}</td>
                    <td>
                      {project.usage.inUse.vcpus} of {project.usage.limits.vcpus}
                    </td>
                    <td>{formatHours(project.usage.coreHoursUsed)} core-hours</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        )}
        <h3 className="fair-share-h3" id="fair-share-columns-heading">What the columns mean</h3>
        <dl className="fair-share-columns" id="fair-share-columns" aria-labelledby="fair-share-columns-heading">
          <dt>Order</dt>
          <dd>where the project's waiting requests come in the next cycle; projects of equal score by name.</dd>
          <dt>Score</dt>
          <dd>(decayed usage + promised) × priority factor; the lowest goes first.</dd>
          <dt>Decayed usage</dt>
          <dd>core-hours charged to the project, each worth half as much for every half-life (SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS, 24 h unless set) since it was charged.</dd>
          <dt>Promised</dt>
          <dd>core-hours its running leases will still cost if they run to the end, counted in the score from the start.</dd>
          <dt>Priority factor</dt>
          <dd>as in HTCondor: 1 is the usual share, 2 half of it, 0.5 twice it (set by federation admins).</dd>
          <dt>Waiting</dt>
          <dd>its requests that are PENDING or QUEUED now.</dd>
          <dt>vCPUs in use</dt>
          <dd>what its instances hold now, of what its allocations in force allow.</dd>
          <dt>Used, all time</dt>
          <dd>core-hours charged so far, not decayed: what budgets count.</dd>
        </dl>
      </section>
    </>
  );
}
