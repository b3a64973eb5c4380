import { Inject, Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { CONFIG, type Config } from '../config/config.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { ALIVE_STATES } from '../requests/instance-state.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';
import { lockRequest } from '../requests/request-locks.js';
import { RequestUpdates } from '../requests/request-updates.js';
import { settlementStep } from './settlement-step.js';

/**
 * Brings a request's state in line with its instances: RUNNING once `minCount` run, back to
 * the allocator when a gang cannot complete, ended once nothing holds resources any more, and
 * TERMINATING when its lease is over. Says whether resources were
 * released (waiting requests may fit now) and whether instances must be terminated.
 */
@Injectable()
export class RequestSettlement {
  constructor(
    private readonly lifecycle: RequestLifecycle,
    private readonly updates: RequestUpdates,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async settle(manager: EntityManager, requestId: string): Promise<{ released: boolean; terminating: boolean }> {
    const outcome = { released: false, terminating: false };
    const request = await lockRequest(manager, requestId);
    if (!request) return outcome;
    const instances = await manager.getRepository(Instance).find({ where: { requestId }, order: { createdAt: 'ASC', id: 'ASC' } });
    const step = settlementStep(request, instances, this.clock.now(), this.config.SKYPOOL_MAX_ATTEMPTS);
    switch (step.kind) {
      case 'start-lease':
        await manager.getRepository(Instance).update({ requestId, state: In(ALIVE_STATES) }, { leaseEndsAt: step.leaseEndsAt });
        await this.lifecycle.moveRequest(manager, request, 'RUNNING', { reason: step.reason, leaseEndsAt: step.leaseEndsAt });
        break;
      case 'move': {
        if (step.endAlive !== null) {
          const alive = instances.filter((i) => ALIVE_STATES.includes(i.state));
          for (const i of alive) await this.lifecycle.moveInstance(manager, i, 'TERMINATING', {}, step.endAlive);
          outcome.terminating = alive.length > 0;
        }
        await this.lifecycle.moveRequest(manager, request, step.to, { reason: step.reason, reasonCode: step.reasonCode });
        outcome.released = step.released;
        break;
      }
      case 'note':
        await manager.getRepository(ResourceRequest).update(request.id, { reason: step.reason, reasonCode: null });
        this.updates.changed(manager, request.id);
        break;
      case 'none':
        break;
    }
    return outcome;
  }
}
