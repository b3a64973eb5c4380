import { IsNull, type EntityManager } from 'typeorm';
import { HOLDING_STATES } from '../requests/instance-state.js';
import { Site } from '../sites/entities/site.entity.js';
import type { ProjectState, Resources, SiteState } from './allocator.types.js';
import { decayed } from './fair-share.js';

/** What the allocator needs of the database, read in a few grouped queries (each the same on PostgreSQL and PGlite). */

const none = (): Resources => ({ vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 });
const resources = (vcpus: unknown, memoryMiB: unknown, gpus: unknown, instances: unknown): Resources => ({
  vcpus: Number(vcpus ?? 0),
  memoryMiB: Number(memoryMiB ?? 0),
  gpus: Number(gpus ?? 0),
  instances: Number(instances ?? 0),
});

interface SiteUsageRow {
  site_id: string;
  vcpus: string;
  memory_mib: string;
  gpus: string;
  instances: string;
  home_vcpus: string | null;
  home_memory_mib: string | null;
  home_gpus: string | null;
  home_instances: string;
}

/** What the instances that hold resources hold at each site, in all and by the site's own institution. */
async function siteUsage(manager: EntityManager): Promise<Map<string, { used: Resources; usedByHome: Resources }>> {
  const rows: SiteUsageRow[] = await manager.query(
    `SELECT i.site_id,
            sum(i.vcpus) AS vcpus, sum(i.memory_mib) AS memory_mib, sum(i.gpus) AS gpus, count(*) AS instances,
            sum(i.vcpus) FILTER (WHERE p.institution = s.institution) AS home_vcpus,
            sum(i.memory_mib) FILTER (WHERE p.institution = s.institution) AS home_memory_mib,
            sum(i.gpus) FILTER (WHERE p.institution = s.institution) AS home_gpus,
            count(*) FILTER (WHERE p.institution = s.institution) AS home_instances
       FROM instance i JOIN project p ON p.id = i.project_id JOIN site s ON s.id = i.site_id
      WHERE i.state = ANY($1)
      GROUP BY i.site_id`,
    [HOLDING_STATES],
  );
  return new Map(
    rows.map((r) => [
      r.site_id,
      { used: resources(r.vcpus, r.memory_mib, r.gpus, r.instances), usedByHome: resources(r.home_vcpus, r.home_memory_mib, r.home_gpus, r.home_instances) },
    ]),
  );
}

export function siteStateOf(site: Site, usage: { used: Resources; usedByHome: Resources } | undefined): SiteState {
  return {
    id: site.id,
    name: site.name,
    institution: site.institution,
    health: site.health,
    draining: site.drainingSince !== null,
    capacity: { vcpus: site.capacityVcpus, memoryMiB: site.capacityMemoryMib, gpus: site.capacityGpus, instances: site.capacityInstances },
    homeShare: site.homeShare,
    lendsHomeShare: site.lendsHomeShare,
    used: usage?.used ?? none(),
    usedByHome: usage?.usedByHome ?? none(),
    instanceTypes: site.instanceTypes,
    images: site.images.map((m) => m.image),
    labels: site.labels,
  };
}

/** Every site, with the allocator's view of it; without `usage`, as if nothing were in use (enough to judge what a site offers). */
export async function loadSitesWithState(manager: EntityManager, options: { usage?: boolean } = {}): Promise<{ site: Site; state: SiteState }[]> {
  // one query after the other: inside a transaction they share one connection
  const sites = await manager.getRepository(Site).find({ where: { removedAt: IsNull() }, order: { name: 'ASC' } });
  const usage = options.usage === false ? new Map() : await siteUsage(manager);
  return sites.map((site) => ({ site, state: siteStateOf(site, usage.get(site.id)) }));
}

export async function loadSiteStates(manager: EntityManager, options: { usage?: boolean } = {}): Promise<SiteState[]> {
  return (await loadSitesWithState(manager, options)).map((s) => s.state);
}

/**
 * The allocations in force at $1 for the projects in $2 (all when null): started, not ended,
 * not revoked, and with budget left, each with what was charged to it (whole unit-minutes). An
 * allocation whose budget ran out stops counting altogether, its concurrent limits too. A budget
 * is compared in whole minutes, rounded up, as `budgetMinutes` does (exact: `numeric`).
 */
export const ALLOCATIONS_IN_FORCE = `
  SELECT a.*, coalesce(c.vcpu_minutes, 0) AS charged_vcpu_minutes, coalesce(c.gpu_minutes, 0) AS charged_gpu_minutes
    FROM allocation a
    LEFT JOIN LATERAL (SELECT sum(u.vcpu_minutes) AS vcpu_minutes, sum(u.gpu_minutes) AS gpu_minutes FROM usage_record u WHERE u.allocation_id = a.id) c ON true
   WHERE a.revoked_at IS NULL
     AND (a.starts_at IS NULL OR a.starts_at <= $1) AND (a.ends_at IS NULL OR a.ends_at > $1)
     AND ($2::uuid[] IS NULL OR a.project_id = ANY($2))
     AND (a.core_hours IS NULL OR ceil(a.core_hours * 60) > coalesce(c.vcpu_minutes, 0))
     AND (a.gpu_hours IS NULL OR ceil(a.gpu_hours * 60) > coalesce(c.gpu_minutes, 0))`;

interface ProjectRow {
  id: string;
  institution: string;
  priority_factor: number;
  decayed_usage: number;
  usage_decayed_at: Date | null;
  vcpus: string;
  memory_mib: string;
  gpus: string;
  instances: string | null;
  vcpu_minutes_left: string | null;
  gpu_minutes_left: string | null;
  used_vcpus: string | null;
  used_memory_mib: string | null;
  used_gpus: string | null;
  used_instances: string | null;
  promised_core_hours: string | null;
  promised_gpu_hours: string | null;
}

/**
 * Each project with an allocation in force at `now`: its limits and budget left (the
 * allocations added up; one unlimited budget makes the project's unlimited), what its
 * instances hold and are promised, and its fair-share usage decayed to `now`. With
 * `withoutAllocation`, projects with none in force come too, with limits of zero. Without
 * `holdings`, nothing is counted as in use or promised (enough to judge what a project may ever do).
 */
export async function loadProjectStates(
  manager: EntityManager,
  now: Date,
  halfLifeHours: number,
  projectIds?: string[],
  options: { withoutAllocation?: boolean; holdings?: boolean } = {},
): Promise<ProjectState[]> {
  const rows: ProjectRow[] = await manager.query(
    `WITH in_force AS (${ALLOCATIONS_IN_FORCE}),
     limits AS (
       SELECT project_id, sum(vcpus) AS vcpus, sum(memory_mib) AS memory_mib, sum(gpus) AS gpus,
              CASE WHEN bool_or(instances IS NULL) THEN NULL ELSE sum(instances) END AS instances,
              CASE WHEN bool_or(core_hours IS NULL) THEN NULL ELSE sum(ceil(core_hours * 60) - charged_vcpu_minutes) END AS vcpu_minutes_left,
              CASE WHEN bool_or(gpu_hours IS NULL) THEN NULL ELSE sum(ceil(gpu_hours * 60) - charged_gpu_minutes) END AS gpu_minutes_left
         FROM in_force GROUP BY project_id),
     holding AS (
       SELECT i.project_id, sum(i.vcpus) AS vcpus, sum(i.memory_mib) AS memory_mib, sum(i.gpus) AS gpus, count(*) AS instances,
              sum(i.vcpus * remaining.hours) AS promised_core_hours, sum(i.gpus * remaining.hours) AS promised_gpu_hours
         FROM instance i JOIN resource_request r ON r.id = i.request_id
         CROSS JOIN LATERAL (SELECT CASE WHEN i.lease_ends_at IS NULL THEN r.lease_hours
                                         ELSE greatest(0, extract(epoch FROM i.lease_ends_at - $1) / 3600) END AS hours) remaining
        WHERE $4 AND i.state = ANY($3) AND ($2::uuid[] IS NULL OR i.project_id = ANY($2))
        GROUP BY i.project_id)
     SELECT p.id, p.institution, p.priority_factor, p.decayed_usage, p.usage_decayed_at,
            l.vcpus, l.memory_mib, l.gpus, l.instances, l.vcpu_minutes_left, l.gpu_minutes_left,
            h.vcpus AS used_vcpus, h.memory_mib AS used_memory_mib, h.gpus AS used_gpus, h.instances AS used_instances,
            h.promised_core_hours, h.promised_gpu_hours
       FROM project p ${options.withoutAllocation ? 'LEFT' : ''} JOIN limits l ON l.project_id = p.id LEFT JOIN holding h ON h.project_id = p.id
      WHERE $2::uuid[] IS NULL OR p.id = ANY($2)`,
    [now, projectIds ?? null, HOLDING_STATES, options.holdings !== false],
  );
  return rows.map((r) => ({
    id: r.id,
    institution: r.institution,
    limits: { vcpus: Number(r.vcpus ?? 0), memoryMiB: Number(r.memory_mib ?? 0), gpus: Number(r.gpus ?? 0), instances: r.instances === null ? null : Number(r.instances) },
    used: resources(r.used_vcpus, r.used_memory_mib, r.used_gpus, r.used_instances),
    // whole minutes in the database; hours (minutes / 60) for the allocator and the API
    coreHoursLeft: r.vcpu_minutes_left === null ? null : Number(r.vcpu_minutes_left) / 60,
    gpuHoursLeft: r.gpu_minutes_left === null ? null : Number(r.gpu_minutes_left) / 60,
    promisedCoreHours: Number(r.promised_core_hours ?? 0),
    promisedGpuHours: Number(r.promised_gpu_hours ?? 0),
    usage: decayed(Number(r.decayed_usage), r.usage_decayed_at ? (now.getTime() - r.usage_decayed_at.getTime()) / 3_600_000 : 0, halfLifeHours),
    priorityFactor: Number(r.priority_factor),
  }));
}
