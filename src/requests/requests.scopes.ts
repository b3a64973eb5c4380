import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ProjectsService } from '../allocations/projects.service.js';
import { ScopeLookups } from '../identity/permissions/scope-lookups.js';
import { RequestsService } from './requests.service.js';

/** The scope of a request, for the permission guard: its project and who submitted it. */
@Injectable()
export class RequestsScopes implements OnModuleInit {
  constructor(
    private readonly lookups: ScopeLookups,
    private readonly requests: RequestsService,
    private readonly projects: ProjectsService,
  ) {}

  onModuleInit(): void {
    this.lookups.provide('request', async (id) => {
      const request = await this.requests.find(id);
      if (!request) return null;
      const project = await this.projects.get(request.projectId);
      return { project: { id: project.id, institution: project.institution }, institution: project.institution, submittedBy: request.submittedBy };
    });
  }
}
