import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { CONFIG, type Config } from '../config/config.js';
import { runPrepared, type PreparedStatement } from '../database/prepared.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { ALIVE_STATES } from '../requests/instance-state.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';
import { lockRequest } from '../requests/request-locks.js';
import { RequestUpdates } from '../requests/request-updates.js';
import { settlementStep } from './settlement-step.js';

/** The lease of each request $1 ends at $2, for its alive instances ($3) too. */
const START_LEASES: PreparedStatement = {
  name: 'start_leases',
  text: `UPDATE instance i SET lease_ends_at = u.lease_ends_at, updated_at = now()
           FROM unnest($1::uuid[], $2::timestamptz[]) AS u(request_id, lease_ends_at)
          WHERE i.request_id = u.request_id AND i.state = ANY($3::text[])`,
};

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
    const request = await lockRequest(manager, requestId);
    if (!request) return { released: false, terminating: false };
    const instances = await manager.getRepository(Instance).find({ where: { requestId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return this.settleLocked(manager, [{ request, instances }]);
  }

  /**
   * Settles requests the transaction has locked, each with all its instances (oldest first) as
   * they are now. Leases that start are written for all at once (they start together when a
   * site's listing shows many instances running); the rarer steps one request at a time.
   */
  async settleLocked(manager: EntityManager, settling: { request: ResourceRequest; instances: Instance[] }[]): Promise<{ released: boolean; terminating: boolean }> {
    const outcome = { released: false, terminating: false };
    const now = this.clock.now();
    const leases: { request: ResourceRequest; leaseEndsAt: Date; reason: string }[] = [];
    for (const { request, instances } of settling) {
      const step = settlementStep(request, instances, now, this.config.SKYPOOL_MAX_ATTEMPTS);
      switch (step.kind) {
        case 'start-lease':
          leases.push({ request, leaseEndsAt: step.leaseEndsAt, reason: step.reason });
          break;
        case 'move': {
          if (step.endAlive !== null) {
            const alive = instances.filter((i) => ALIVE_STATES.includes(i.state));
            for (const i of alive) await this.lifecycle.moveInstance(manager, i, 'TERMINATING', {}, step.endAlive);
            outcome.terminating ||= alive.length > 0;
          }
          await this.lifecycle.moveRequest(manager, request, step.to, { reason: step.reason, reasonCode: step.reasonCode });
          outcome.released ||= step.released;
          break;
        }
        case 'note':
          await manager.getRepository(ResourceRequest).update(request.id, { reason: step.reason, reasonCode: null });
          this.updates.changed(manager, request.id);
          break;
        case 'none':
          break;
      }
    }
    if (leases.length > 0) {
      await runPrepared(manager, START_LEASES, [leases.map((l) => l.request.id), leases.map((l) => l.leaseEndsAt), ALIVE_STATES]);
      await this.lifecycle.moveRequests(
        manager,
        leases.map(({ request, leaseEndsAt, reason }) => ({ request, to: 'RUNNING', detail: { reason, leaseEndsAt } })),
      );
    }
    return outcome;
  }
}
