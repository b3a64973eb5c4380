import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In } from 'typeorm';
import { LOGGER } from '../common/logging.js';
import { isUuid, requireName, requireNumber } from '../common/validation.js';
import { loadProjectStates } from '../allocator/federation-state.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { CONFIG, type Config } from '../config/config.js';
import type { ProjectUsageView } from './dto/project.types.js';
import { AuditService } from '../audit/audit.service.js';
import { Db, isUniqueViolation } from '../database/db.js';
import { AccessPolicy } from '../identity/access-policy.js';
import type { Principal } from '../identity/principal.js';
import { Project } from './entities/project.entity.js';
import { AllocationsError, AllocationsErrorCode } from './allocations.errors.js';

@Injectable()
export class ProjectsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async create(principal: Principal, input: { name: string; institution: string }): Promise<Project> {
    requireName('name', input.name, 100);
    requireName('institution', input.institution);
    try {
      const project = await this.db.transaction(async (manager) => {
        const repo = manager.getRepository(Project);
        const saved = await repo.save(repo.create({ name: input.name.trim(), institution: input.institution.trim() }));
        await this.audit.record(manager, principal, { action: 'project.create', targetType: 'project', targetId: saved.id, after: saved });
        return saved;
      });
      this.logger.info({ projectId: project.id, project: project.name, by: principal.id }, 'project created');
      return project;
    } catch (err) {
      if (isUniqueViolation(err)) throw new AllocationsError(AllocationsErrorCode.ProjectNameTaken, `name: a project named ${input.name} already exists`);
      throw err;
    }
  }

  /** The project, or NOT_FOUND (a malformed id is simply not found). */
  async get(id: string): Promise<Project> {
    const project = await this.find(id);
    if (!project) throw AllocationsError.projectNotFound(id);
    return project;
  }

  find(id: string): Promise<Project | null> {
    return isUuid(id) ? this.db.manager.getRepository(Project).findOneBy({ id }) : Promise.resolve(null);
  }

  /** Projects the principal may see. */
  async listVisible(principal: Principal): Promise<Project[]> {
    const all = await this.db.manager.getRepository(Project).find({ order: { name: 'ASC' } });
    return all.filter((p) => AccessPolicy.canSeeProject(principal, p));
  }

  /** Sets the project's fair-share priority factor (HTCondor-style: 2 gets half the share of 1). */
  async setPriorityFactor(principal: Principal, id: string, factor: number): Promise<Project> {
    await this.get(id); // an unknown project is NOT_FOUND before its factor is looked at
    requireNumber('priorityFactor', factor, { min: 0.01, max: 1000 });
    const project = await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(Project);
      const before = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw AllocationsError.projectNotFound(id);
      await repo.update(id, { priorityFactor: factor });
      await this.audit.record(manager, principal, { action: 'project.priority', targetType: 'project', targetId: id, before: { priorityFactor: before.priorityFactor }, after: { priorityFactor: factor } });
      return { ...before, priorityFactor: factor };
    });
    this.logger.info({ projectId: id, priorityFactor: factor, by: principal.id }, 'project priority factor set');
    return project;
  }

  /** Limits in force, what is in use, budget left and usage so far. */
  async usage(project: Project): Promise<ProjectUsageView> {
    const manager = this.db.manager;
    const now = this.clock.now();
    const [state] = await loadProjectStates(manager, now, this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS, [project.id]);
    const [used]: { core_hours: number | null; gpu_hours: number | null }[] = await manager.query(
      'SELECT sum(core_hours) AS core_hours, sum(gpu_hours) AS gpu_hours FROM usage_record WHERE project_id = $1',
      [project.id],
    );
    const totals = { coreHoursUsed: Number(used?.core_hours ?? 0), gpuHoursUsed: Number(used?.gpu_hours ?? 0) };
    if (!state) {
      // no allocation in force: nothing may start, but what runs still shows
      const [held] = await loadProjectStates(manager, now, this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS, [project.id], { withoutAllocation: true });
      return {
        limits: { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 },
        inUse: held!.used,
        coreHoursLeft: 0,
        gpuHoursLeft: 0,
        coreHoursPromised: held!.promisedCoreHours,
        gpuHoursPromised: held!.promisedGpuHours,
        ...totals,
        fairShareUsage: held!.usage,
        priorityFactor: project.priorityFactor,
      };
    }
    return {
      limits: state.limits,
      inUse: state.used,
      coreHoursLeft: state.coreHoursLeft,
      gpuHoursLeft: state.gpuHoursLeft,
      coreHoursPromised: state.promisedCoreHours,
      gpuHoursPromised: state.promisedGpuHours,
      ...totals,
      fairShareUsage: state.usage,
      priorityFactor: state.priorityFactor,
    };
  }

  findByIds(ids: readonly string[]): Promise<Project[]> {
    return this.db.manager.getRepository(Project).findBy({ id: In([...ids]) });
  }
}
