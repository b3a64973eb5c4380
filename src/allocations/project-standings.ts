import type { EntityManager } from 'typeorm';
import type { Limits } from '../allocator/core/allocator.types.js';
import { decayedUsageAt } from '../allocator/core/fair-share.js';
import { runPrepared, type PreparedStatement } from '../database/prepared.js';
import { ALLOCATIONS_IN_FORCE, PROJECT_ALLOCATIONS_IN_FORCE } from './allocations-in-force.js';

/** What the allocations domain knows of a project at a moment: what it may use and how much it has had. */
export interface ProjectStanding {
  id: string;
  institution: string;
  /** Whether an allocation is in force: without one the limits and budgets left are zero. */
  inForce: boolean;
  /** The allocations in force added up (one without an instance limit or a budget makes the project's unlimited). */
  limits: Limits;
  coreHoursLeft: number | null;
  gpuHoursLeft: number | null;
  /** Fair-share usage, decayed to the moment asked about. */
  usage: number;
  priorityFactor: number;
}

interface StandingRow {
  id: string;
  institution: string;
  priority_factor: number;
  decayed_usage: number;
  usage_decayed_at: Date | null;
  in_force: boolean;
  vcpus: string | null;
  memory_mib: string | null;
  gpus: string | null;
  instances: string | null;
  vcpu_minutes_left: string | null;
  gpu_minutes_left: string | null;
}

/** What each project's allocations in force (`inForce`, SQL selecting rows of ALLOCATIONS_IN_FORCE's shape) add up to. */
const standingsSql = (inForce: string, where: string) => `
  WITH in_force AS (${inForce}),
  limits AS (
    SELECT project_id, sum(vcpus) AS vcpus, sum(memory_mib) AS memory_mib, sum(gpus) AS gpus,
           CASE WHEN bool_or(instances IS NULL) THEN NULL ELSE sum(instances) END AS instances,
           CASE WHEN bool_or(core_hours IS NULL) THEN NULL ELSE sum(ceil(core_hours * 60) - charged_vcpu_minutes) END AS vcpu_minutes_left,
           CASE WHEN bool_or(gpu_hours IS NULL) THEN NULL ELSE sum(ceil(gpu_hours * 60) - charged_gpu_minutes) END AS gpu_minutes_left
      FROM in_force GROUP BY project_id)
  SELECT p.id, p.institution, p.priority_factor, p.decayed_usage, p.usage_decayed_at, l.project_id IS NOT NULL AS in_force,
         l.vcpus, l.memory_mib, l.gpus, l.instances, l.vcpu_minutes_left, l.gpu_minutes_left
    FROM project p LEFT JOIN limits l ON l.project_id = p.id
   WHERE ${where}`;

/** One project's standing ($2) at $1: checked on every submission, so prepared once per connection. */
const PROJECT_STANDING: PreparedStatement = { name: 'project_standing', text: standingsSql(PROJECT_ALLOCATIONS_IN_FORCE, 'p.id = $2') };

function standingOf(r: StandingRow, now: Date, halfLifeHours: number): ProjectStanding {
  return {
    id: r.id,
    institution: r.institution,
    inForce: r.in_force,
    limits: r.in_force ? { vcpus: Number(r.vcpus), memoryMiB: Number(r.memory_mib), gpus: Number(r.gpus), instances: r.instances === null ? null : Number(r.instances) } : { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 },
    // whole minutes in the database; hours (minutes / 60) for the allocator and the API
    coreHoursLeft: !r.in_force ? 0 : r.vcpu_minutes_left === null ? null : Number(r.vcpu_minutes_left) / 60,
    gpuHoursLeft: !r.in_force ? 0 : r.gpu_minutes_left === null ? null : Number(r.gpu_minutes_left) / 60,
    usage: decayedUsageAt(Number(r.decayed_usage), r.usage_decayed_at, now, halfLifeHours),
    priorityFactor: Number(r.priority_factor),
  };
}

/**
 * The standing at `now` of each project with an allocation in force (of those in `projectIds`,
 * when given), in one query. `withoutAllocation` adds projects without one: all of those asked
 * for (`true`), or those listed.
 */
export async function loadProjectStandings(
  manager: EntityManager,
  now: Date,
  halfLifeHours: number,
  options: { projectIds?: readonly string[] | null; withoutAllocation?: boolean | readonly string[] } = {},
): Promise<ProjectStanding[]> {
  const alsoWithout = Array.isArray(options.withoutAllocation) ? options.withoutAllocation : [];
  const rows: StandingRow[] = await manager.query(
    standingsSql(ALLOCATIONS_IN_FORCE, '(($2::uuid[] IS NULL OR p.id = ANY($2)) AND (l.project_id IS NOT NULL OR $3)) OR p.id = ANY($4::uuid[])'),
    [now, options.projectIds ?? null, options.withoutAllocation === true, alsoWithout],
  );
  return rows.map((r) => standingOf(r, now, halfLifeHours));
}

/** One project's standing at `now`, allocation in force or not; undefined when there is no such project. */
export async function loadProjectStanding(manager: EntityManager, now: Date, halfLifeHours: number, projectId: string): Promise<ProjectStanding | undefined> {
  const [row] = await runPrepared<StandingRow>(manager, PROJECT_STANDING, [now, projectId]);
  return row && standingOf(row, now, halfLifeHours);
}
