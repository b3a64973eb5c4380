import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In } from 'typeorm';
import { LOGGER } from '../common/logging.js';
import { isUuid, optionalDate, optionalInteger, optionalNumber, requireInteger } from '../common/validation.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { WorkSignals } from '../common/work-signals.js';
import { AuditService } from '../audit/audit.service.js';
import { Db } from '../database/db.js';
import type { Principal } from '../identity/principal.js';
import type { AllocationView, GrantAllocationInput, UpdateAllocationInput } from './dto/project.types.js';
import { allocationLifecycle, allocationLifecycleOf } from './allocation-lifecycle.js';
import { Allocation } from './entities/allocation.entity.js';
import { AllocationsError, AllocationsErrorCode } from './allocations.errors.js';

@Injectable()
export class AllocationsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly signals: WorkSignals,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async grant(principal: Principal, input: GrantAllocationInput): Promise<Allocation> {
    requireInteger('vcpus', input.vcpus, 0);
    requireInteger('memoryMiB', input.memoryMiB, 0);
    checkAllocationValues(input);
    const allocation = await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(Allocation);
      const saved = await repo.save(
        repo.create({
          projectId: input.projectId,
          vcpus: input.vcpus,
          memoryMib: input.memoryMiB,
          gpus: input.gpus ?? 0,
          instances: input.instances ?? null,
          coreHours: input.coreHours ?? null,
          gpuHours: input.gpuHours ?? null,
          startsAt: input.startsAt ?? null,
          endsAt: input.endsAt ?? null,
          terminateAfterMinutes: input.terminateAfterMinutes ?? null,
        }),
      );
      await this.audit.record(manager, principal, { action: 'allocation.grant', targetType: 'allocation', targetId: saved.id, after: toAllocationView(saved) });
      return saved;
    });
    this.logger.info({ allocationId: allocation.id, projectId: input.projectId, vcpus: input.vcpus, by: principal.id }, 'allocation granted');
    return allocation;
  }

  async get(id: string): Promise<Allocation> {
    const allocation = await this.find(id);
    if (!allocation) throw AllocationsError.allocationNotFound(id);
    return allocation;
  }

  find(id: string): Promise<Allocation | null> {
    return isUuid(id) ? this.db.manager.getRepository(Allocation).findOneBy({ id }) : Promise.resolve(null);
  }

  /** Changes what is given (null clears); a raised budget or a later end makes it count again. */
  async update(principal: Principal, input: UpdateAllocationInput): Promise<Allocation> {
    optionalInteger('vcpus', input.vcpus, 0);
    optionalInteger('memoryMiB', input.memoryMiB, 0);
    checkAllocationValues(input);
    const updated = await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(Allocation);
      const before = await repo.findOne({ where: { id: input.id }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw AllocationsError.allocationNotFound(input.id);
      if (before.revokedAt) throw new AllocationsError(AllocationsErrorCode.AllocationRevoked, `allocation ${input.id} was revoked at ${before.revokedAt.toISOString()}; grant a new one`);
      const patch: Partial<Allocation> = {};
      const given = <K extends keyof UpdateAllocationInput>(key: K) => input[key] !== undefined;
      if (given('vcpus')) patch.vcpus = requiredOnUpdate('vcpus', input.vcpus);
      if (given('memoryMiB')) patch.memoryMib = requiredOnUpdate('memoryMiB', input.memoryMiB);
      if (given('gpus')) patch.gpus = input.gpus ?? 0;
      if (given('instances')) patch.instances = input.instances ?? null;
      if (given('coreHours')) patch.coreHours = input.coreHours ?? null;
      if (given('gpuHours')) patch.gpuHours = input.gpuHours ?? null;
      if (given('startsAt')) patch.startsAt = input.startsAt ?? null;
      if (given('endsAt')) patch.endsAt = input.endsAt ?? null;
      if (given('terminateAfterMinutes')) patch.terminateAfterMinutes = input.terminateAfterMinutes ?? null;
      const after = { ...before, ...patch };
      if (after.startsAt && after.endsAt && after.endsAt <= after.startsAt) throw AllocationsError.about(AllocationsErrorCode.InvalidAllocation, 'endsAt', 'must be after startsAt');
      // a new budget or end is judged afresh by the next charge and enforcement
      if (given('coreHours') || given('gpuHours')) patch.exhaustedAt = null;
      if (given('coreHours') || given('gpuHours') || given('endsAt')) patch.enforcedAt = null;
      const now = this.clock.now();
      allocationLifecycle.assertTransition(allocationLifecycleOf(before, now), allocationLifecycleOf({ ...before, ...patch }, now));
      await repo.update(before.id, patch);
      const saved = await repo.findOneByOrFail({ id: before.id });
      await this.audit.record(manager, principal, { action: 'allocation.update', targetType: 'allocation', targetId: saved.id, before: toAllocationView(before), after: toAllocationView(saved) });
      return saved;
    });
    this.logger.info({ allocationId: updated.id, projectId: updated.projectId, by: principal.id }, 'allocation updated');
    this.signals.emit('requests-waiting');
    return updated;
  }

  /**
   * Stops the allocation counting now. Running leases finish unless `terminateAfterMinutes` is
   * given: then what the project's other allocations do not cover is terminated after that
   * many minutes. Revoking again changes nothing.
   */
  async revoke(principal: Principal, id: string, terminateAfterMinutes: number | null | undefined): Promise<Allocation> {
    optionalInteger('terminateAfterMinutes', terminateAfterMinutes, 0, 60 * 24 * 366);
    const revoked = await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(Allocation);
      const before = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw AllocationsError.allocationNotFound(id);
      if (before.revokedAt) return before;
      const now = this.clock.now();
      allocationLifecycle.assertTransition(allocationLifecycleOf(before, now), 'REVOKED');
      const patch: Partial<Allocation> = { revokedAt: now };
      if (terminateAfterMinutes !== undefined && terminateAfterMinutes !== null) patch.terminateAfterMinutes = terminateAfterMinutes;
      await repo.update(id, patch);
      const saved = await repo.findOneByOrFail({ id });
      await this.audit.record(manager, principal, { action: 'allocation.revoke', targetType: 'allocation', targetId: id, before: toAllocationView(before), after: toAllocationView(saved) });
      return saved;
    });
    this.logger.info({ allocationId: id, projectId: revoked.projectId, terminateAfterMinutes: revoked.terminateAfterMinutes, by: principal.id }, 'allocation revoked');
    return revoked;
  }

  listForProjects(projectIds: readonly string[]): Promise<Allocation[]> {
    return this.db.manager.getRepository(Allocation).find({ where: { projectId: In([...projectIds]) }, order: { createdAt: 'ASC' } });
  }
}

/** The checks grant and update share (what update may leave out). */
function checkAllocationValues(input: Pick<GrantAllocationInput, 'gpus' | 'instances' | 'coreHours' | 'gpuHours' | 'terminateAfterMinutes' | 'startsAt' | 'endsAt'>): void {
  optionalInteger('gpus', input.gpus, 0);
  optionalInteger('instances', input.instances, 0);
  optionalNumber('coreHours', input.coreHours, { min: 0, max: 1e12 });
  optionalNumber('gpuHours', input.gpuHours, { min: 0, max: 1e12 });
  optionalInteger('terminateAfterMinutes', input.terminateAfterMinutes, 0, 60 * 24 * 366);
  optionalDate('startsAt', input.startsAt);
  optionalDate('endsAt', input.endsAt);
  if (input.startsAt && input.endsAt && input.endsAt <= input.startsAt) throw AllocationsError.about(AllocationsErrorCode.InvalidAllocation, 'endsAt', 'must be after startsAt');
}

function requiredOnUpdate(field: string, value: number | null | undefined): number {
  if (value === null || value === undefined) throw AllocationsError.about(AllocationsErrorCode.InvalidAllocation, field, 'cannot be cleared; give a number');
  return value;
}

export function toAllocationView(a: Allocation): AllocationView {
  return {
    id: a.id,
    projectId: a.projectId,
    vcpus: a.vcpus,
    memoryMiB: a.memoryMib,
    gpus: a.gpus,
    instances: a.instances,
    coreHours: a.coreHours,
    gpuHours: a.gpuHours,
    startsAt: a.startsAt,
    endsAt: a.endsAt,
    revokedAt: a.revokedAt,
    exhaustedAt: a.exhaustedAt,
    terminateAfterMinutes: a.terminateAfterMinutes,
  };
}
