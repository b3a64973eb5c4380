import { useMemo } from 'react';
import { Label, Meter } from 'react-aria-components';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useQuery } from 'urql';
import { describeError } from '../api/client';
import { ProjectsOverviewDocument, ProjectUsageHistoryDocument, type ProjectsOverviewQuery } from '../api/generated';
import { Loading, Problem } from '../components/status';
import { formatHours, formatMemory } from '../format';
import { burnDown } from './burn-down';

type Project = ProjectsOverviewQuery['projects'][number];

const DAY_MS = 86_400_000;

/** Each project's resources in use against its limits, its budget and how fast it burns, its fair-share standing. */
export default function Projects() {
  const [{ data, error, fetching }] = useQuery({ query: ProjectsOverviewDocument });
  if (error) return <Problem>{describeError(error)}</Problem>;
  if (fetching && !data) return <Loading what="projects" />;
  const projects = data?.projects ?? [];
  // lower decayed usage goes first: the standing among the projects shown
  const standing = [...projects].sort((a, b) => a.usage.fairShareUsage - b.usage.fairShareUsage).map((p) => p.id);
  return (
    <>
      <h1>Projects</h1>
      {projects.length === 0 && <p>You are not a member of any project yet.</p>}
      {projects.map((project) => (
        <ProjectCard key={project.id} project={project} standing={standing.indexOf(project.id) + 1} of={projects.length} />
      ))}
    </>
  );
}

function ProjectCard({ project, standing, of }: { project: Project; standing: number; of: number }) {
  const { inUse, limits } = project.usage;
  return (
    <section className="card" aria-labelledby={`project-${project.id}`}>
      <h2 id={`project-${project.id}`}>
        {project.name} <span className="muted">{project.institution}</span>
      </h2>
      <div className="meters">
        <UsageMeter label="vCPUs" used={inUse.vcpus} limit={limits.vcpus} />
        <UsageMeter label="Memory" used={inUse.memoryMiB} limit={limits.memoryMiB} format={formatMemory} />
        <UsageMeter label="GPUs" used={inUse.gpus} limit={limits.gpus} />
        <UsageMeter label="Instances" used={inUse.instances ?? 0} limit={limits.instances} />
      </div>
      <Budget project={project} />
      <p>
        Fair-share: {ordinal(standing)} of {of} in line among your projects (decayed use {formatHours(project.usage.fairShareUsage)} core-hours, priority factor {project.usage.priorityFactor.toFixed(2)}).
      </p>
    </section>
  );
}

function UsageMeter({ label, used, limit, format = String }: { label: string; used: number; limit: number | null | undefined; format?: (n: number) => string }) {
  if (!limit) {
    return (
      <p className="meter">
        {label}: {format(used)} in use, no limit
      </p>
    );
  }
  return (
    <Meter className="meter" value={used} maxValue={limit} valueLabel={`${format(used)} of ${format(limit)}`}>
      {({ percentage, valueText }) => (
        <>
          <Label>{label}</Label> <span className="value">{valueText}</span>
          <div className="bar">
            <div className="fill" style={{ width: `${Math.min(percentage, 100)}%` }} />
          </div>
        </>
      )}
    </Meter>
  );
}

/** Core-hours used, left, promised; the budget's burn-down; and the day it runs out at the last 30 days' rate. */
function Budget({ project }: { project: Project }) {
  const { coreHoursUsed, coreHoursLeft, coreHoursPromised } = project.usage;
  const variables = useMemo(() => {
    const now = Date.now();
    return { projectId: project.id, now: new Date(now).toISOString(), monthAgo: new Date(now - 30 * DAY_MS).toISOString(), yearAgo: new Date(now - 365 * DAY_MS).toISOString() };
  }, [project.id]);
  const [{ data }] = useQuery({ query: ProjectUsageHistoryDocument, variables });
  const perDay = (data?.lastMonth[0]?.coreHours ?? 0) / 30;
  const hasBudget = coreHoursLeft !== null && coreHoursLeft !== undefined;
  const runsOut = hasBudget && perDay > 0 && coreHoursLeft > 0 ? new Date(Date.now() + (coreHoursLeft / perDay) * DAY_MS) : undefined;
  return (
    <div className="budget">
      <p>
        {formatHours(coreHoursUsed)} core-hours used, {formatHours(coreHoursPromised)} promised to running leases,{' '}
        {hasBudget ? `${formatHours(coreHoursLeft)} left` : 'no core-hour budget'}.
        {runsOut && ` At the last 30 days' rate (${formatHours(perDay)} a day) it runs out around ${runsOut.toLocaleDateString('en-GB', { dateStyle: 'medium' })}.`}
        {hasBudget && perDay === 0 && ' Nothing was used in the last 30 days.'}
      </p>
      {hasBudget && (
        <figure className="chart">
          <figcaption>Core-hours left: at the start of each month, now, and where the last 30 days' rate takes it</figcaption>
          <ResponsiveContainer width="100%" height={200}>
            <LineChart data={burnDown(data?.months ?? [], coreHoursLeft, perDay, new Date(variables.now))} accessibilityLayer>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="label" />
              <YAxis />
              <Tooltip />
              <Line dataKey="left" name="core-hours left" stroke="#1f5fa8" strokeWidth={2} isAnimationActive={false} />
              <Line dataKey="projected" name="at the current rate" stroke="#8a5a00" strokeDasharray="6 4" isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </figure>
      )}
    </div>
  );
}

function ordinal(n: number): string {
  const suffix = n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th';
  return `${n}${suffix}`;
}
