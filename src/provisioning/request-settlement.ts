import { Inject, Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { HOLDING_STATES } from '../requests/instance-state.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';

/** Reason codes after which the allocator may try the request again elsewhere. */
const RETRYABLE = new Set(['SITE_CAPACITY', 'SITE_TIMEOUT', 'NODE_DISAPPEARED']);

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
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async settle(manager: EntityManager, requestId: string): Promise<{ released: boolean; terminating: boolean }> {
    const outcome = { released: false, terminating: false };
    const request = await manager.getRepository(ResourceRequest).findOne({ where: { id: requestId }, lock: { mode: 'pessimistic_write' } });
    if (!request) return outcome;
    const instances = await manager.getRepository(Instance).find({ where: { requestId }, order: { createdAt: 'ASC', id: 'ASC' } });
    const current = instances.filter((i) => i.attempt === request.attempt);
    const holding = current.filter((i) => HOLDING_STATES.includes(i.state));
    const running = current.filter((i) => i.state === 'RUNNING');
    const failed = current.filter((i) => i.state === 'FAILED');
    const now = this.clock.now();

    const endAll = async (why: string) => {
      for (const i of holding.filter((x) => x.state !== 'TERMINATING')) await this.lifecycle.moveInstance(manager, i, 'TERMINATING', {}, why);
      outcome.terminating ||= holding.length > 0;
    };

    switch (request.state) {
      case 'PROVISIONING': {
        if (running.length >= request.minCount) {
          const leaseEndsAt = new Date(now.getTime() + request.leaseHours * 3_600_000);
          await manager.getRepository(Instance).update({ requestId, attempt: request.attempt, state: In(['REQUESTED', 'PENDING', 'RUNNING']) }, { leaseEndsAt });
          await this.lifecycle.moveRequest(manager, request, 'RUNNING', { reason: `${running.length} of ${request.count} running`, leaseEndsAt });
        } else if (failed.length > 0 && current.length - failed.length < request.minCount) {
          // the gang cannot complete at this site: give back what started, and decide where to go next
          await endAll('gang cannot complete');
          const cause = failed[failed.length - 1]!;
          const code = cause.failureCode ?? 'SITE_ERROR';
          const reason = cause.failureReason ?? 'instances failed at the site';
          if (RETRYABLE.has(code)) {
            await this.lifecycle.moveRequest(manager, request, 'QUEUED', { reason: `attempt ${request.attempt} failed: ${reason}; waiting to be placed again`, reasonCode: code });
          } else {
            await this.lifecycle.moveRequest(manager, request, 'FAILED', { reason, reasonCode: code });
          }
        }
        break;
      }
      case 'RUNNING': {
        if (request.leaseEndsAt && request.leaseEndsAt <= now) {
          await endAll('lease ended');
          await this.lifecycle.moveRequest(manager, request, 'TERMINATING', { reason: `lease ended at ${request.leaseEndsAt.toISOString()}`, reasonCode: 'LEASE_EXPIRED' });
        } else if (holding.length === 0) {
          const cause = failed[failed.length - 1];
          await this.lifecycle.moveRequest(manager, request, 'FAILED', { reason: cause?.failureReason ?? 'every instance is gone', reasonCode: cause?.failureCode ?? 'NODE_DISAPPEARED' });
        }
        break;
      }
      case 'TERMINATING': {
        if (instances.some((i) => HOLDING_STATES.includes(i.state))) break;
        const ranAtSite = instances.some((i) => i.siteInstanceId !== null);
        const to = request.reasonCode === 'LEASE_EXPIRED' ? 'EXPIRED' : ranAtSite ? 'TERMINATED' : 'CANCELLED';
        await this.lifecycle.moveRequest(manager, request, to, { reason: request.reason, reasonCode: request.reasonCode });
        outcome.released = true;
        break;
      }
      default:
        break;
    }
    return outcome;
  }
}
