import { Inject, Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { CONFIG, type Config } from '../config/config.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { ALIVE_STATES, HOLDING_STATES } from '../requests/instance-state.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';
import { leaseEnd, leaseOver } from '../requests/lease-time.js';
import { lockRequest } from '../requests/request-locks.js';
import { RequestUpdates } from '../requests/request-updates.js';

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
    // alive: wanted and holding resources; a running request may have some from later attempts (more instances placed for it)
    const alive = instances.filter((i) => ALIVE_STATES.includes(i.state));
    const running = alive.filter((i) => i.state === 'RUNNING');
    const failedNow = instances.filter((i) => i.attempt === request.attempt && i.state === 'FAILED');
    const now = this.clock.now();

    const endAll = async (why: string) => {
      for (const i of alive) await this.lifecycle.moveInstance(manager, i, 'TERMINATING', {}, why);
      outcome.terminating ||= alive.length > 0;
    };

    switch (request.state) {
      case 'PROVISIONING': {
        if (running.length >= request.minCount) {
          const leaseEndsAt = leaseEnd(now, request.leaseHours);
          await manager.getRepository(Instance).update({ requestId, state: In(ALIVE_STATES) }, { leaseEndsAt });
          await this.lifecycle.moveRequest(manager, request, 'RUNNING', { reason: `${running.length} of ${request.count} running`, leaseEndsAt });
        } else if (failedNow.length > 0 && alive.length < request.minCount) {
          // the gang cannot complete: give back what started, and decide where to go next
          await endAll('gang cannot complete');
          const cause = failedNow[failedNow.length - 1]!;
          const code = cause.failureCode ?? 'SITE_ERROR';
          const reason = cause.failureReason ?? 'instances failed at the site';
          // any failure fails over: the allocator avoids that site for a while (COOL_DOWN); after too many, give up
          const failedAttempts = new Set(instances.filter((i) => i.state === 'FAILED').map((i) => i.attempt)).size;
          if (failedAttempts < this.config.SKYPOOL_MAX_ATTEMPTS) {
            await this.lifecycle.moveRequest(manager, request, 'QUEUED', { reason: `attempt ${request.attempt} failed: ${reason}; waiting to be placed again`, reasonCode: code });
          } else {
            await this.lifecycle.moveRequest(manager, request, 'FAILED', { reason: `gave up after ${failedAttempts} failed attempts; the last: ${reason}`, reasonCode: code });
          }
        }
        break;
      }
      case 'RUNNING': {
        if (leaseOver(request.leaseEndsAt, now)) {
          await endAll('lease ended');
          await this.lifecycle.moveRequest(manager, request, 'TERMINATING', { reason: `lease ended at ${request.leaseEndsAt.toISOString()}`, reasonCode: 'LEASE_EXPIRED' });
        } else if (alive.length === 0) {
          const cause = instances.filter((i) => i.state === 'FAILED').pop();
          await this.lifecycle.moveRequest(manager, request, 'FAILED', { reason: cause?.failureReason ?? 'every instance is gone', reasonCode: cause?.failureCode ?? 'NODE_DISAPPEARED' });
        } else if (running.length > 0) {
          const reason = `${running.length} of ${request.count} running`;
          if (request.reason !== reason && alive.length === running.length) {
            await manager.getRepository(ResourceRequest).update(request.id, { reason, reasonCode: null });
            await this.updates.changed(manager, request.id);
          }
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
