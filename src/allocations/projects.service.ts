import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, type EntityManager } from 'typeorm';
import { LOGGER } from '../common/logging.js';
import { isUuid, requireName, requireNumber } from '../common/validation.js';
import { AuditService } from '../audit/audit.service.js';
import { Db, isUniqueViolation } from '../database/db.js';
import { AccessPolicy } from '../identity/access-policy.js';
import type { Principal } from '../identity/principal.js';
import { ProjectDirectory } from '../identity/project-directory.js';
import { Project } from './entities/project.entity.js';
import { AllocationsError, AllocationsErrorCode } from './allocations.errors.js';

@Injectable()
/** Projects; also identity's directory of them (it grants roles in projects it does not own). */
export class ProjectsService implements ProjectDirectory {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
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
    const visible = AccessPolicy.visibleProjects(principal);
    const qb = this.db.manager.getRepository(Project).createQueryBuilder('p').orderBy('p.name', 'ASC');
    if (visible !== 'all') qb.where('p.id = ANY(:ids) OR p.institution = ANY(:institutions)', { ids: visible.ids.filter(isUuid), institutions: visible.institutions });
    return qb.getMany();
  }

  /**
   * The ids of the projects the principal may see, to filter rows that name their project (all:
   * null). Grants that name their projects are answered without a query: a row can name only a
   * project that exists, so an id of a project since deleted matches nothing.
   */
  async visibleIds(principal: Principal): Promise<string[] | null> {
    const visible = AccessPolicy.visibleProjects(principal);
    if (visible === 'all') return null;
    if (visible.institutions.length === 0) return visible.ids.filter(isUuid);
    return (await this.listVisible(principal)).map((p) => p.id);
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

  async exists(id: string): Promise<boolean> {
    return (await this.db.manager.getRepository(Project).countBy({ id })) > 0;
  }

  async idsByName(manager: EntityManager, names: readonly string[]): Promise<Map<string, string>> {
    const projects = await manager.getRepository(Project).findBy({ name: In([...names]) });
    return new Map(projects.map((p) => [p.name, p.id]));
  }

  /** The institutions that have a project. */
  async institutions(): Promise<string[]> {
    const rows = await this.db.manager.getRepository(Project).createQueryBuilder('p').select('DISTINCT p.institution', 'institution').getRawMany<{ institution: string }>();
    return rows.map((r) => r.institution);
  }

  findByIds(ids: readonly string[]): Promise<Project[]> {
    return this.db.manager.getRepository(Project).findBy({ id: In([...ids]) });
  }
}
