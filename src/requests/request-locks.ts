import type { EntityManager, FindOptionsWhere } from 'typeorm';
import { Instance } from './entities/instance.entity.js';
import { ResourceRequest } from './entities/resource-request.entity.js';

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
