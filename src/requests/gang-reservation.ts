import { In, LessThanOrEqual, MoreThan, type EntityManager } from 'typeorm';
import type { AllocatorPolicy, ProjectState, Reservation, SiteState } from '../allocator/core/allocator.types.js';
import { chooseReservation } from '../allocator/core/reservation.js';
import type { Config } from '../config/config.js';
import { ResourceRequest } from './entities/resource-request.entity.js';
import { WAITING_STATES } from './request-state.js';
import { avoidedSites, toWaitingRequest } from './waiting-requests.js';

type PolicySettings = Pick<Config, 'SKYPOOL_PLACEMENT' | 'SKYPOOL_GANG_RESERVE_AFTER_MINUTES' | 'SKYPOOL_GANG_RESERVE_HOURS'>;

/** The allocator's policy from the settings: the cycle, explain and planRequest decide by the same. */
export function allocatorPolicyOf(config: PolicySettings): AllocatorPolicy {
  const hours = config.SKYPOOL_GANG_RESERVE_HOURS;
  return {
    placement: config.SKYPOOL_PLACEMENT,
    reservation: hours === 0 ? undefined : { afterMinutes: config.SKYPOOL_GANG_RESERVE_AFTER_MINUTES, holdMinutes: hours * 60 },
  };
}

/**
 * The gangs capacity may be held for now, as the allocator sees them (for explain and
 * planRequest, which ask which one it is): those waiting at least as long as the policy asks.
 */
export async function gangsWaiting(manager: EntityManager, now: Date, policy: AllocatorPolicy, coolDownMinutes: number) {
  if (!policy.reservation) return [];
  const rows = await manager.getRepository(ResourceRequest).find({
    where: { state: In(WAITING_STATES), minCount: MoreThan(1), createdAt: LessThanOrEqual(new Date(now.getTime() - policy.reservation.afterMinutes * 60_000)) },
  });
  if (rows.length === 0) return [];
  const avoid = await avoidedSites(manager, rows.map((r) => r.id), now, coolDownMinutes);
  return rows.map((r) => toWaitingRequest(r, 0, avoid.get(r.id) ?? [], now));
}

/** The capacity the allocator holds for a gang now, if any (see ReservationPolicy); `projects` must hold the gangs' projects. */
export function reservationNow(gangs: Awaited<ReturnType<typeof gangsWaiting>>, projects: ProjectState[], sites: SiteState[], policy: AllocatorPolicy, now: Date): Reservation | null {
  if (!policy.reservation || gangs.length === 0) return null;
  return chooseReservation(gangs, new Map(projects.map((p) => [p.id, p])), sites, policy.reservation, now);
}
