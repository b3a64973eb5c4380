import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ScopeLookups } from '../identity/permissions/scope-lookups.js';
import { AllocationsService } from './allocations.service.js';
import { ProjectsService } from './projects.service.js';

/** The scopes of projects and allocations, for the permission guard: the project and its institution. */
@Injectable()
export class AllocationsScopes implements OnModuleInit {
  constructor(
    private readonly lookups: ScopeLookups,
    private readonly projects: ProjectsService,
    private readonly allocations: AllocationsService,
  ) {}

  onModuleInit(): void {
    this.lookups.provide('project', async (id) => {
      const project = await this.projects.find(id);
      return project ? { project: { id: project.id, institution: project.institution }, institution: project.institution } : null;
    });
    this.lookups.provide('allocation', async (id) => {
      const allocation = await this.allocations.find(id);
      // an allocation always belongs to a project (foreign key)
      const project = allocation ? await this.projects.get(allocation.projectId) : null;
      return project ? { project: { id: project.id, institution: project.institution }, institution: project.institution } : null;
    });
  }
}
