import type { EntityManager, FindOptionsWhere } from 'typeorm';
import { Instance } from './entities/instance.entity.js';
import { ResourceRequest } from './entities/resource-request.entity.js';
import { entityFromRow, runPrepared, type PreparedStatement } from '../database/prepared.js';

/**
 * Row locks on a request and its instances are taken in one order everywhere: the request first,
 * then its instances. A transaction that locked instances first could wait for a request that
 * another holds while that one waits for the instances: a deadlock. So instances are locked only
 * through a request the transaction has locked already.
 */

/** Locks the request (FOR UPDATE) for the rest of the transaction; null when there is none. */
export function lockRequest(manager: EntityManager, requestId: string): Promise<ResourceRequest | null> {
  return manager.getRepository(ResourceRequest).findOne({ where: { id: requestId }, lock: { mode: 'pessimistic_write' } });
}

/** Locks instances of a request the transaction has locked (see lockRequest), in a stable order, re-read as they are now. */
export function lockInstancesOf(manager: EntityManager, request: ResourceRequest, where: FindOptionsWhere<Instance> = {}): Promise<Instance[]> {
  return manager.getRepository(Instance).find({
    where: { ...where, requestId: request.id },
    order: { createdAt: 'ASC', id: 'ASC' },
    lock: { mode: 'pessimistic_write' },
  });
}

const LOCK_REQUESTS: PreparedStatement = { name: 'lock_requests', text: 'SELECT * FROM resource_request WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE' };
const LOCK_INSTANCES_OF_REQUESTS: PreparedStatement = {
  name: 'lock_instances_of_requests',
  text: 'SELECT * FROM instance WHERE request_id = ANY($1::uuid[]) ORDER BY created_at, id FOR UPDATE',
};

/**
 * Locks many requests at once (those that exist), in the order of their ids: two transactions
 * that lock overlapping sets this way wait for each other rather than deadlock.
 */
export async function lockRequests(manager: EntityManager, requestIds: readonly string[]): Promise<ResourceRequest[]> {
  const metadata = manager.connection.getMetadata(ResourceRequest);
  return (await runPrepared(manager, LOCK_REQUESTS, [requestIds])).map((row) => entityFromRow<ResourceRequest>(metadata, row));
}

/** Locks every instance of requests the transaction has locked (see lockRequests), oldest first, as they are now. */
export async function lockInstancesOfRequests(manager: EntityManager, requests: readonly ResourceRequest[]): Promise<Instance[]> {
  const metadata = manager.connection.getMetadata(Instance);
  return (await runPrepared(manager, LOCK_INSTANCES_OF_REQUESTS, [requests.map((r) => r.id)])).map((row) => entityFromRow<Instance>(metadata, row));
}
