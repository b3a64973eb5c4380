import { Inject, Injectable } from '@nestjs/common';
import type { ProjectUsageView } from '../allocations/dto/project.types.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { NotFoundError } from '../common/errors.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { loadProjectStates } from '../requests/federation-state.js';

/** A project's usage report: what its allocations allow (allocations), what its instances hold (requests) and what was charged (this ledger). */
@Injectable()
export class ProjectUsage {
  constructor(
    private readonly db: Db,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Limits in force, what is in use, budget left and usage so far; without an allocation in force nothing may start, but what runs still shows. */
  async of(projectId: string): Promise<ProjectUsageView> {
    const manager = this.db.manager;
    const [state] = await loadProjectStates(manager, this.clock.now(), this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS, [projectId], { withoutAllocation: true });
    if (!state) throw new NotFoundError('project', projectId);
    const [used]: { vcpu_minutes: string | null; gpu_minutes: string | null }[] = await manager.query(
      'SELECT sum(vcpu_minutes) AS vcpu_minutes, sum(gpu_minutes) AS gpu_minutes FROM usage_record WHERE project_id = $1',
      [projectId],
    );
    return {
      limits: state.limits,
      inUse: state.used,
      coreHoursLeft: state.coreHoursLeft,
      gpuHoursLeft: state.gpuHoursLeft,
      coreHoursPromised: state.promisedCoreHours,
      gpuHoursPromised: state.promisedGpuHours,
      // the ledger counts whole unit-minutes; the API shows hours
      coreHoursUsed: Number(used?.vcpu_minutes ?? 0) / 60,
      gpuHoursUsed: Number(used?.gpu_minutes ?? 0) / 60,
      fairShareUsage: state.usage,
      priorityFactor: state.priorityFactor,
    };
  }
}
