import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Resources } from '../allocator/core/allocator.types.js';
import { SiteOccupancy } from '../sites/site-occupancy.js';
import { HOLDING_STATES } from './instance-state.js';

/** What one project's instances hold at one site, and what their leases will still cost. */
export interface Holding {
  siteId: string;
  projectId: string;
  used: Resources;
  promisedCoreHours: number;
  promisedGpuHours: number;
}

interface HoldingRow {
  site_id: string;
  project_id: string;
  vcpus: string;
  memory_mib: string;
  gpus: string;
  instances: string;
  promised_core_hours: string | null;
  promised_gpu_hours: string | null;
}

/**
 * What the instances that hold resources (of the projects in `projectIds`, or all) hold, per
 * site and project, in one query: each instance's lease is promised until it ends (a placed one
 * that has not started yet, for the whole lease of its request).
 */
export async function loadHoldings(manager: EntityManager, now: Date, projectIds: readonly string[] | null = null): Promise<Holding[]> {
  const rows: HoldingRow[] = await manager.query(
    `SELECT i.site_id, i.project_id, sum(i.vcpus) AS vcpus, sum(i.memory_mib) AS memory_mib, sum(i.gpus) AS gpus, count(*) AS instances,
            sum(i.vcpus * remaining.hours) AS promised_core_hours, sum(i.gpus * remaining.hours) AS promised_gpu_hours
       FROM instance i JOIN resource_request r ON r.id = i.request_id
       CROSS JOIN LATERAL (SELECT CASE WHEN i.lease_ends_at IS NULL THEN r.lease_hours
                                       ELSE greatest(0, extract(epoch FROM i.lease_ends_at - $1) / 3600) END AS hours) remaining
      WHERE i.state = ANY($2) AND ($3::uuid[] IS NULL OR i.project_id = ANY($3))
      GROUP BY i.site_id, i.project_id`,
    [now, HOLDING_STATES, projectIds],
  );
  return rows.map((r) => ({
    siteId: r.site_id,
    projectId: r.project_id,
    used: { vcpus: Number(r.vcpus), memoryMiB: Number(r.memory_mib), gpus: Number(r.gpus), instances: Number(r.instances) },
    promisedCoreHours: Number(r.promised_core_hours ?? 0),
    promisedGpuHours: Number(r.promised_gpu_hours ?? 0),
  }));
}

/** The instances that hold resources at a site, for sites' refusal to remove it. */
@Injectable()
export class InstanceSiteOccupancy extends SiteOccupancy {
  async holdingAt(manager: EntityManager, siteId: string): Promise<{ state: string; count: number }[]> {
    const rows: { state: string; n: string }[] = await manager.query(
      'SELECT state, count(*) AS n FROM instance WHERE site_id = $1 AND state = ANY($2) GROUP BY state ORDER BY state',
      [siteId, HOLDING_STATES],
    );
    return rows.map((r) => ({ state: r.state, count: Number(r.n) }));
  }
}
