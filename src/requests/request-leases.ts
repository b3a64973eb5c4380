import { round2 } from '../allocator/core/rounding.js';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { requireNumber } from '../common/validation.js';
import { CONFIG, type Config } from '../config/config.js';
import { holdAllocatorLock } from '../database/allocator-lock.js';
import { Db } from '../database/db.js';
import type { Principal } from '../identity/principal.js';
import { Instance } from './entities/instance.entity.js';
import { RequestEvent } from './entities/request-event.entity.js';
import { ResourceRequest } from './entities/resource-request.entity.js';
import { ALIVE_STATES } from './instance-state.js';
import { MAX_LEASE_HOURS } from './request-input.js';
import { leaseEnd, leaseStart } from './lease-time.js';
import { RequestLifecycle } from './request-lifecycle.js';
import { loadProjectStates } from './federation-state.js';
import { wholeMs } from '../allocator/core/exact-decimal.js';
import { RequestsError, RequestsErrorCode } from './requests.errors.js';

const HOUR_MS = 3_600_000;

/** Longer leases for running requests, within the request limits and the project's budget. */
@Injectable()
export class RequestLeases {
  constructor(
    private readonly db: Db,
    private readonly lifecycle: RequestLifecycle,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Moves the lease end of a RUNNING request (and of its instances) `hours` later. The total
   * lease stays within MAX_LEASE_HOURS, and the project's budget left, less what running leases
   * are promised, must pay for the extra hours of the instances it holds. (Who may:
   * Permission.ExtendLease, on the request.)
   */
  async extend(principal: Principal, id: string, hours: number): Promise<void> {
    requireNumber('hours', hours, { min: 0, max: MAX_LEASE_HOURS, exclusiveMin: true });
    const extended = await this.db.transaction(async (manager) => {
      // budgets are checked and promised one at a time, as the allocator cycle does
      await holdAllocatorLock(manager);
      const request = await manager.getRepository(ResourceRequest).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!request) throw RequestsError.notFound(id);
      const now = this.clock.now();
      if (request.state !== 'RUNNING' || !request.leaseEndsAt) throw new RequestsError(RequestsErrorCode.LeaseNotExtendable, `request ${id} is ${request.state}: only the lease of a RUNNING request can be extended`);
      if (request.leaseEndsAt <= now) throw new RequestsError(RequestsErrorCode.LeaseNotExtendable, `the lease of request ${id} ended at ${request.leaseEndsAt.toISOString()}; it is being ended`);

      const total = (request.leaseEndsAt.getTime() - (await this.leaseStart(manager, request)).getTime()) / HOUR_MS + hours;
      if (total > MAX_LEASE_HOURS) {
        throw RequestsError.about(RequestsErrorCode.LeaseTooLong, 'hours', `the lease would last ${round2(total)} hours in all; at most ${MAX_LEASE_HOURS} are allowed`);
      }
      const instances = await manager.getRepository(Instance).findBy({ requestId: id, state: In(ALIVE_STATES) });
      await this.assertBudgetCovers(manager, request, instances, hours, now);

      const before = request.leaseEndsAt;
      const leaseEndsAt = leaseEnd(before, hours);
      await manager.getRepository(ResourceRequest).update(id, { leaseEndsAt, leaseWarnedAt: null });
      await manager.getRepository(Instance).update({ requestId: id, state: In(ALIVE_STATES) }, { leaseEndsAt });
      Object.assign(request, { leaseEndsAt, leaseWarnedAt: null });
      await this.lifecycle.notice(manager, request, 'LEASE_EXTENDED', `lease extended by ${hours} h by ${principal.name}; it ends at ${leaseEndsAt.toISOString()}`);
      await this.audit.record(manager, principal, { action: 'request.extendLease', targetType: 'request', targetId: id, before: { leaseEndsAt: before }, after: { leaseEndsAt, hours } });
      return { before, leaseEndsAt, projectId: request.projectId };
    });
    this.logger.info({ requestId: id, projectId: extended.projectId, hours, from: extended.before, to: extended.leaseEndsAt, by: principal.id }, 'lease extended');
  }

  /** When the lease began: the request's last move to RUNNING (before the history was kept: its end less the hours asked). */
  private async leaseStart(manager: EntityManager, request: ResourceRequest): Promise<Date> {
    const running = await manager.getRepository(RequestEvent).findOne({
      where: { requestId: request.id, kind: 'REQUEST_STATE', toState: 'RUNNING' },
      order: { at: 'DESC', id: 'DESC' },
    });
    return running?.at ?? leaseStart(request.leaseEndsAt!, request.leaseHours);
  }

  private async assertBudgetCovers(manager: EntityManager, request: ResourceRequest, instances: Instance[], hours: number, now: Date): Promise<void> {
    const [project] = await loadProjectStates(manager, now, this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS, [request.projectId]);
    if (!project) throw new RequestsError(RequestsErrorCode.BudgetExhausted, `project ${request.projectId} has no allocation in force, so no lease of it can be extended`);
    const budgets = [
      { unit: 'core-hours', left: project.coreHoursLeft, promised: project.promisedCoreHours, needed: hours * instances.reduce((n, i) => n + i.vcpus, 0) },
      { unit: 'GPU-hours', left: project.gpuHoursLeft, promised: project.promisedGpuHours, needed: hours * instances.reduce((n, i) => n + i.gpus, 0) },
    ];
    for (const b of budgets) {
      if (b.left === null || b.needed === 0 || wholeMs(b.left) - wholeMs(b.promised) >= wholeMs(b.needed)) continue;
      throw new RequestsError(
        RequestsErrorCode.BudgetExhausted,
        `project budget: ${round2(Math.max(0, b.left - b.promised))} ${b.unit} free (${round2(b.left)} left, ${round2(b.promised)} promised to running leases), ` +
          `${round2(b.needed)} needed to extend the lease by ${hours} h`,
      );
    }
  }
}
