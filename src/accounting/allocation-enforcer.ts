import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, IsNull, Not, type EntityManager } from 'typeorm';
import { endedAt } from '../allocations/allocations-in-force.js';
import { Allocation } from '../allocations/entities/allocation.entity.js';
import type { Limits, Resources } from '../allocator/core/allocator.types.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { loadProjectStates } from '../requests/federation-state.js';
import { ALIVE_STATES } from '../requests/instance-state.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';
import { PLACED_STATES } from '../requests/request-state.js';

const within = (used: Resources, limits: Limits) =>
  used.vcpus <= limits.vcpus && used.memoryMiB <= limits.memoryMiB && used.gpus <= limits.gpus && (limits.instances === null || used.instances <= limits.instances);

/**
 * By default an allocation that ends, is revoked or runs out of budget lets running leases
 * finish. One granted with `terminateAfterMinutes` has, that many minutes after it stopped
 * counting, the project's requests ended, newest first, until what the project still holds
 * fits the allocations left in force (all of them when none is left, or when the budget left
 * is spent). Each allocation is enforced once.
 */
@Injectable()
export class AllocationEnforcer {
  constructor(
    private readonly db: Db,
    private readonly lifecycle: RequestLifecycle,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Returns whether any request was ended (its instances must be terminated). */
  async enforceAll(): Promise<boolean> {
    const now = this.clock.now();
    const candidates = await this.db.manager.getRepository(Allocation).find({ where: { terminateAfterMinutes: Not(IsNull()), enforcedAt: IsNull() } });
    const due = candidates.filter((a) => {
      const ended = endedAt(a);
      return ended !== null && ended.getTime() + a.terminateAfterMinutes! * 60_000 <= now.getTime();
    });
    let ended = false;
    for (const allocation of due) {
      ended = (await this.db.transaction((manager) => this.enforce(manager, allocation, now))) || ended;
    }
    return ended;
  }

  private async enforce(manager: EntityManager, allocation: Allocation, now: Date): Promise<boolean> {
    const locked = await manager.getRepository(Allocation).findOne({ where: { id: allocation.id, enforcedAt: IsNull() }, lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' } });
    if (!locked) return false; // another broker process has it
    await manager.getRepository(Allocation).update(locked.id, { enforcedAt: now });
    const [project] = await loadProjectStates(manager, now, this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS, [locked.projectId]);
    const requests = await manager.getRepository(ResourceRequest).find({
      where: { projectId: locked.projectId, state: In(PLACED_STATES) },
      order: { createdAt: 'DESC', id: 'DESC' },
      lock: { mode: 'pessimistic_write' },
    });
    const budgetSpent = project !== undefined && ((project.coreHoursLeft !== null && project.coreHoursLeft <= 0) || (project.gpuHoursLeft !== null && project.gpuHoursLeft <= 0));
    const used = project ? { ...project.used } : undefined;
    const reason = `allocation ${locked.id} ended at ${endedAt(locked)!.toISOString()}; what it covered was terminated after ${locked.terminateAfterMinutes} minutes`;
    let count = 0;
    for (const request of requests) {
      if (project && used && !budgetSpent && within(used, project.limits)) break;
      if (used) await this.release(manager, request.id, used);
      await this.lifecycle.endRequest(manager, request, { reason, reasonCode: 'ALLOCATION_ENDED' }, 'allocation ended');
      count++;
    }
    this.logger.info({ allocationId: locked.id, projectId: locked.projectId, requestsEnded: count }, 'ended allocation enforced');
    return count > 0;
  }

  /** Takes a request's wanted instances off the running total, as ending it will. */
  private async release(manager: EntityManager, requestId: string, used: Resources): Promise<void> {
    const instances = await manager.getRepository(Instance).find({ where: { requestId, state: In(ALIVE_STATES) } });
    for (const i of instances) {
      used.vcpus -= i.vcpus;
      used.memoryMiB -= i.memoryMib;
      used.gpus -= i.gpus;
      used.instances -= 1;
    }
  }
}
