import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, type EntityManager } from 'typeorm';
import { LOGGER } from '../common/logging.js';
import { Instance } from './entities/instance.entity.js';
import { ResourceRequest } from './entities/resource-request.entity.js';
import { instanceStateMachine, type InstanceState } from './instance-state.js';
import { requestStateMachine, type RequestState } from './request-state.js';

export interface TransitionDetail {
  reason?: string | null;
  reasonCode?: string | null;
}

/**
 * Every state change of a request or an instance goes through here: checked against the
 * transition table, written with the caller's transaction, and logged once with its ids.
 */
@Injectable()
export class RequestLifecycle {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  async moveRequest(manager: EntityManager, request: ResourceRequest, to: RequestState, detail: TransitionDetail & { leaseEndsAt?: Date; attempt?: number } = {}): Promise<void> {
    const from = request.state;
    requestStateMachine.assertTransition(from, to);
    const patch: Partial<ResourceRequest> = { state: to, reason: detail.reason ?? null, reasonCode: detail.reasonCode ?? null };
    if (detail.leaseEndsAt) patch.leaseEndsAt = detail.leaseEndsAt;
    if (detail.attempt !== undefined) patch.attempt = detail.attempt;
    await manager.getRepository(ResourceRequest).update(request.id, patch);
    Object.assign(request, patch);
    if (from !== to) {
      this.logger.info({ requestId: request.id, projectId: request.projectId, from, to, reasonCode: patch.reasonCode, reason: patch.reason }, 'request state changed');
    }
  }

  /**
   * Ends a placed or running request: its wanted instances go to TERMINATING (the terminator
   * ends them at their sites) and so does the request. Returns whether anything was left to end.
   */
  async endRequest(manager: EntityManager, request: ResourceRequest, detail: TransitionDetail, why: string): Promise<boolean> {
    if (request.state !== 'PROVISIONING' && request.state !== 'RUNNING') return false;
    const instances = await manager.getRepository(Instance).find({ where: { requestId: request.id, state: In(['REQUESTED', 'PENDING', 'RUNNING']) }, lock: { mode: 'pessimistic_write' } });
    for (const instance of instances) await this.moveInstance(manager, instance, 'TERMINATING', {}, why);
    await this.moveRequest(manager, request, 'TERMINATING', detail);
    return true;
  }

  async moveInstance(manager: EntityManager, instance: Instance, to: InstanceState, patch: Partial<Instance> = {}, why?: string): Promise<void> {
    const from = instance.state;
    instanceStateMachine.assertTransition(from, to);
    const change = { ...patch, state: to };
    await manager.getRepository(Instance).update(instance.id, change);
    Object.assign(instance, change);
    this.logger.info(
      { instanceId: instance.id, requestId: instance.requestId, siteId: instance.siteId, projectId: instance.projectId, siteInstanceId: instance.siteInstanceId, from, to, why },
      'instance state changed',
    );
  }
}
