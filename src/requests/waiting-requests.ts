import { In, type EntityManager } from 'typeorm';
import { entityFromRow, runPrepared, type PreparedStatement } from '../database/prepared.js';
import { ResourceRequest } from './entities/resource-request.entity.js';
import { parseRequirement } from './requirements.js';
import { WAITING_STATES } from './request-state.js';
import { ALIVE_STATES } from './instance-state.js';
import type { WaitingRequest } from '../allocator/core/allocator.types.js';

/** Per request, the sites where one of its instances failed in the last `coolDownMinutes`. */
export async function avoidedSites(manager: EntityManager, requestIds: string[], now: Date, coolDownMinutes: number): Promise<Map<string, string[]>> {
  const rows: { request_id: string; sites: string[] }[] = await manager.query(
    `SELECT request_id, array_agg(DISTINCT site_id::text) AS sites FROM instance
      WHERE request_id = ANY($1) AND state = 'FAILED' AND ended_at > $2 GROUP BY request_id`,
    [requestIds, new Date(now.getTime() - coolDownMinutes * 60_000)],
  );
  return new Map(rows.map((r) => [r.request_id, r.sites]));
}

/** Per request, the instances it holds and still wants (not those being terminated); a request holding none is left out. */
export async function heldInstances(manager: EntityManager, requestIds: readonly string[]): Promise<Map<string, number>> {
  const rows: { request_id: string; held: string }[] = await manager.query(
    'SELECT request_id, count(*) AS held FROM instance WHERE request_id = ANY($1) AND state = ANY($2) GROUP BY request_id',
    [requestIds, ALIVE_STATES],
  );
  return new Map(rows.map((r) => [r.request_id, Number(r.held)]));
}

/** The requests waiting for placement, oldest first, locked but for those another transaction holds. */
const LOCK_WAITING: PreparedStatement = {
  name: 'lock_waiting_requests',
  text: 'SELECT * FROM resource_request WHERE state = ANY($1::text[]) ORDER BY created_at, id FOR UPDATE SKIP LOCKED',
};

/** More instances for a running request are not worth starting this close to its lease end. */
const TOP_UP_MIN_MINUTES = 10;

export interface Waiting {
  request: ResourceRequest;
  /** Instances it holds and still wants (not those being terminated). */
  held: number;
  waiting: WaitingRequest;
}

/**
 * The requests the allocator looks at, locked for this cycle (rows another broker process holds
 * are skipped): those waiting for placement, and running ones with fewer instances than they
 * asked for. Each comes with the sites it avoids for now: where one of its instances failed in
 * the last `coolDownMinutes`.
 */
export async function waitingRequestsOf(manager: EntityManager, now: Date, coolDownMinutes: number): Promise<Waiting[]> {
  const repo = manager.getRepository(ResourceRequest);
  const metadata = manager.connection.getMetadata(ResourceRequest);
  const waiting = (await runPrepared(manager, LOCK_WAITING, [WAITING_STATES])).map((row) => entityFromRow<ResourceRequest>(metadata, row));
  const short: { id: string; held: string }[] = await manager.query(
    `SELECT r.id, alive.held
       FROM resource_request r
       CROSS JOIN LATERAL (SELECT count(*) AS held FROM instance i WHERE i.request_id = r.id AND i.state = ANY($2)) alive
      WHERE r.state = 'RUNNING' AND r.count > r.min_count AND r.lease_ends_at > $1 AND r.count > alive.held`,
    [new Date(now.getTime() + TOP_UP_MIN_MINUTES * 60_000), ALIVE_STATES],
  );
  // locked as they are now: one that has moved on since (cancelled, say) is left out
  const running = short.length ? await repo.find({ where: { id: In(short.map((s) => s.id)), state: 'RUNNING' }, lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' } }) : [];
  const held = new Map(short.map((s) => [s.id, Number(s.held)]));
  const all = [...waiting, ...running];
  if (all.length === 0) return [];

  const avoid = await avoidedSites(manager, all.map((r) => r.id), now, coolDownMinutes);

  return all.map((request) => {
    const has = held.get(request.id) ?? 0;
    return { request, held: has, waiting: toWaitingRequest(request, has, avoid.get(request.id) ?? [], now) };
  });
}

/** The allocator's view of one request; a running one asks for the rest of its lease only. */
export function toWaitingRequest(request: ResourceRequest, held: number, avoidSites: string[], now: Date): WaitingRequest {
  const leaseHours = request.state === 'RUNNING' && request.leaseEndsAt ? (request.leaseEndsAt.getTime() - now.getTime()) / 3_600_000 : request.leaseHours;
  return {
    id: request.id,
    projectId: request.projectId,
    image: request.image,
    vcpus: request.vcpus,
    memoryMiB: request.memoryMib,
    gpus: request.gpus,
    count: request.count,
    minCount: request.minCount,
    leaseHours,
    sites: request.sites,
    requirements: request.requirements.map(parseRequirement),
    preferredSites: request.preferredSites,
    spanSites: request.spanSites,
    held,
    avoidSites,
    createdAt: request.createdAt,
    reserved: request.reservedSince ? { since: request.reservedSince, siteIds: request.reservedSiteIds ?? [] } : null,
  };
}
