import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ProjectsService } from '../allocations/projects.service.js';
import { ScopeLookups } from '../identity/permissions/scope-lookups.js';
import { WorkerPoolsService } from './worker-pools.service.js';

/** The scope of a worker pool, for the permission guard: its project. */
@Injectable()
export class WorkerPoolsScopes implements OnModuleInit {
  constructor(
    private readonly lookups: ScopeLookups,
    private readonly pools: WorkerPoolsService,
    private readonly projects: ProjectsService,
  ) {}

  onModuleInit(): void {
    this.lookups.provide('workerPool', async (id) => {
      const pool = await this.pools.find(id);
      if (!pool) return null;
      const project = await this.projects.get(pool.projectId);
      return { project: { id: project.id, institution: project.institution }, institution: project.institution, createdBy: pool.createdBy };
    });
  }
}
