import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In } from 'typeorm';
import { BadInputError } from '../common/errors.js';
import { LOGGER } from '../common/logging.js';
import { optionalDate, optionalInteger, optionalNumber, requireInteger } from '../common/validation.js';
import { AuditService } from '../audit/audit.service.js';
import { Db } from '../database/db.js';
import type { Principal } from '../identity/principal.js';
import type { AllocationView, GrantAllocationInput } from './dto/project.types.js';
import { Allocation } from './entities/allocation.entity.js';

@Injectable()
export class AllocationsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async grant(principal: Principal, input: GrantAllocationInput): Promise<Allocation> {
    requireInteger('vcpus', input.vcpus, 0);
    requireInteger('memoryMiB', input.memoryMiB, 0);
    optionalInteger('gpus', input.gpus, 0);
    optionalInteger('instances', input.instances, 0);
    optionalNumber('coreHours', input.coreHours, { min: 0, max: 1e12 });
    optionalDate('startsAt', input.startsAt);
    optionalDate('endsAt', input.endsAt);
    if (input.startsAt && input.endsAt && input.endsAt <= input.startsAt) throw new BadInputError('endsAt', 'must be after startsAt');
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
          startsAt: input.startsAt ?? null,
          endsAt: input.endsAt ?? null,
        }),
      );
      await this.audit.record(manager, principal, { action: 'allocation.grant', targetType: 'allocation', targetId: saved.id, after: toAllocationView(saved) });
      return saved;
    });
    this.logger.info({ allocationId: allocation.id, projectId: input.projectId, vcpus: input.vcpus, by: principal.id }, 'allocation granted');
    return allocation;
  }

  listForProjects(projectIds: readonly string[]): Promise<Allocation[]> {
    return this.db.manager.getRepository(Allocation).find({ where: { projectId: In([...projectIds]) }, order: { createdAt: 'ASC' } });
  }
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
    startsAt: a.startsAt,
    endsAt: a.endsAt,
  };
}
