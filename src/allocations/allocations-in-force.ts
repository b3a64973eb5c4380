import type { EntityManager } from 'typeorm';
import { Allocation } from './entities/allocation.entity.js';

/*
 * "Allocation in force", defined once. An allocation is in its term from its start (or grant)
 * until its end or its revocation; it is in force while in its term with budget left. Once its
 * core-hour or GPU-hour budget is charged away it stops counting altogether, its concurrent
 * limits too. The charge pass still charges an allocation in its term whose budget is spent
 * (it goes negative) and sets `exhaustedAt`; ending policies date the end from that.
 */

/** SQL: allocation `a` (a table alias) is in its term at `now` (a parameter, e.g. `$1`). */
export const inTermSql = (a: string, now: string): string =>
  `${a}.revoked_at IS NULL AND (${a}.starts_at IS NULL OR ${a}.starts_at <= ${now}) AND (${a}.ends_at IS NULL OR ${a}.ends_at > ${now})`;

/** The allocations in force at $1 of the projects `projects` (an SQL condition on `a`) selects, with what was charged to each. */
const allocationsInForceOf = (projects: string) => `
  SELECT a.*, coalesce(c.vcpu_minutes, 0) AS charged_vcpu_minutes, coalesce(c.gpu_minutes, 0) AS charged_gpu_minutes
    FROM allocation a
    LEFT JOIN LATERAL (SELECT sum(u.vcpu_minutes) AS vcpu_minutes, sum(u.gpu_minutes) AS gpu_minutes FROM usage_record u WHERE u.allocation_id = a.id) c ON true
   WHERE ${inTermSql('a', '$1')}
     AND ${projects}
     AND (a.core_hours IS NULL OR ceil(a.core_hours * 60) > coalesce(c.vcpu_minutes, 0))
     AND (a.gpu_hours IS NULL OR ceil(a.gpu_hours * 60) > coalesce(c.gpu_minutes, 0))`;

/**
 * SQL: the allocations in force at $1 for the projects in $2 (all when null), each with what was
 * charged to it in whole unit-minutes (`charged_vcpu_minutes`, `charged_gpu_minutes`). A budget
 * is compared in whole minutes, rounded up, as `budgetMinutes` does (exact: `numeric`).
 */
export const ALLOCATIONS_IN_FORCE = allocationsInForceOf('($2::uuid[] IS NULL OR a.project_id = ANY($2))');

/** The same for one project, $2 (a uuid): a statement whose one plan fits every call, so it can be prepared once. */
export const PROJECT_ALLOCATIONS_IN_FORCE = allocationsInForceOf('a.project_id = $2');

/** When an allocation stopped counting: its end, its revocation or the charge that used up its budget, whichever came first. */
export function endedAt(a: Pick<Allocation, 'endsAt' | 'revokedAt' | 'exhaustedAt'>): Date | null {
  const times = [a.endsAt, a.revokedAt, a.exhaustedAt].filter((t): t is Date => t !== null);
  return times.length ? new Date(Math.min(...times.map((t) => t.getTime()))) : null;
}

export interface AllocationCharged {
  allocation: Allocation;
  /** Whole unit-minutes charged to it. */
  chargedVcpuMinutes: number;
  chargedGpuMinutes: number;
}

/** The projects' (all projects' when null) allocations in their term at `now` (budget left or not), soonest-ending first, with what was charged to each. */
export async function allocationsInTerm(manager: EntityManager, projectIds: readonly string[] | null, now: Date): Promise<AllocationCharged[]> {
  const allocations = await manager
    .getRepository(Allocation)
    .createQueryBuilder('a')
    .where(projectIds ? 'a.project_id = ANY(:projectIds)' : 'true', { projectIds })
    .andWhere(inTermSql('a', ':now'), { now })
    .orderBy('a.ends_at', 'ASC', 'NULLS LAST')
    .addOrderBy('a.created_at', 'ASC')
    .getMany();
  if (allocations.length === 0) return [];
  const charged: { allocation_id: string; vcpu_minutes: string; gpu_minutes: string }[] = await manager.query(
    'SELECT allocation_id, sum(vcpu_minutes) AS vcpu_minutes, sum(gpu_minutes) AS gpu_minutes FROM usage_record WHERE allocation_id = ANY($1) GROUP BY allocation_id',
    [allocations.map((a) => a.id)],
  );
  const byId = new Map(charged.map((c) => [c.allocation_id, c]));
  return allocations.map((allocation) => ({
    allocation,
    chargedVcpuMinutes: Number(byId.get(allocation.id)?.vcpu_minutes ?? 0),
    chargedGpuMinutes: Number(byId.get(allocation.id)?.gpu_minutes ?? 0),
  }));
}
