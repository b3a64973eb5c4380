import { IsNull, type EntityManager } from 'typeorm';
import { HOLDING_STATES } from '../requests/instance-state.js';
import { Site } from '../sites/entities/site.entity.js';
import type { ProjectState, Resources, SiteState } from './allocator.types.js';

interface UsageRow {
  key: string;
  vcpus: string;
  memory_mib: string;
  gpus: string;
  instances: string;
}

/** What the instances that hold resources hold, grouped by site or by project (only `keys`, when given). */
async function usageBy(manager: EntityManager, column: 'site_id' | 'project_id', keys?: string[]): Promise<Map<string, Resources>> {
  const rows: UsageRow[] = await manager.query(
    `SELECT ${column} AS key, sum(vcpus) AS vcpus, sum(memory_mib) AS memory_mib, sum(gpus) AS gpus, count(*) AS instances
       FROM instance WHERE state = ANY($1) AND ($2::uuid[] IS NULL OR ${column} = ANY($2)) GROUP BY ${column}`,
    [HOLDING_STATES, keys ?? null],
  );
  return new Map(rows.map((r) => [r.key, { vcpus: Number(r.vcpus), memoryMiB: Number(r.memory_mib), gpus: Number(r.gpus), instances: Number(r.instances) }]));
}

const none = (): Resources => ({ vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 });

export function siteStateOf(site: Site, used: Resources | undefined): SiteState {
  return {
    id: site.id,
    name: site.name,
    health: site.health,
    draining: site.drainingSince !== null,
    capacity: { vcpus: site.capacityVcpus, memoryMiB: site.capacityMemoryMib, gpus: site.capacityGpus, instances: site.capacityInstances },
    used: used ?? none(),
    instanceTypes: site.instanceTypes,
    images: site.images.map((m) => m.image),
  };
}

/** Every site, with the allocator's view of it. */
export async function loadSitesWithState(manager: EntityManager): Promise<{ site: Site; state: SiteState }[]> {
  // one query after the other: inside a transaction they share one connection
  const sites = await manager.getRepository(Site).find({ where: { removedAt: IsNull() }, order: { name: 'ASC' } });
  const usage = await usageBy(manager, 'site_id');
  return sites.map((site) => ({ site, state: siteStateOf(site, usage.get(site.id)) }));
}

export async function loadSiteStates(manager: EntityManager): Promise<SiteState[]> {
  return (await loadSitesWithState(manager)).map((s) => s.state);
}

interface LimitRow {
  project_id: string;
  vcpus: string;
  memory_mib: string;
  gpus: string;
  instances: string | null;
}

/** Each project's limits (the allocations in force at `now`, added up) and what it holds. */
export async function loadProjectStates(manager: EntityManager, now: Date, projectIds?: string[]): Promise<ProjectState[]> {
  const rows: LimitRow[] = await manager.query(
    `SELECT project_id, sum(vcpus) AS vcpus, sum(memory_mib) AS memory_mib, sum(gpus) AS gpus,
            CASE WHEN bool_or(instances IS NULL) THEN NULL ELSE sum(instances) END AS instances
       FROM allocation
      WHERE (starts_at IS NULL OR starts_at <= $1) AND (ends_at IS NULL OR ends_at > $1)
        AND ($2::uuid[] IS NULL OR project_id = ANY($2))
      GROUP BY project_id`,
    [now, projectIds ?? null],
  );
  const usage = await usageBy(manager, 'project_id', projectIds);
  return rows.map((r) => ({
    id: r.project_id,
    limits: { vcpus: Number(r.vcpus), memoryMiB: Number(r.memory_mib), gpus: Number(r.gpus), instances: r.instances === null ? null : Number(r.instances) },
    used: usage.get(r.project_id) ?? none(),
  }));
}
