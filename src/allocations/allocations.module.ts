import { Global, Module } from '@nestjs/common';
import { ProjectDirectory } from '../identity/project-directory.js';
import { AllocationsScopes } from './allocations.scopes.js';
import { AllocationsService } from './allocations.service.js';
import { DemoProject } from './demo-project.js';
import { ProjectsResolver, AllocationsResolver } from './projects.resolver.js';
import { ProjectsService } from './projects.service.js';

@Module({
  providers: [ProjectsService, AllocationsService, AllocationsScopes, ProjectsResolver, AllocationsResolver, DemoProject],
  exports: [ProjectsService, AllocationsService, DemoProject],
})
export class AllocationsModule {}

/** Answers identity's questions about projects, so that identity need not import this domain. */
@Global()
@Module({ imports: [AllocationsModule], providers: [{ provide: ProjectDirectory, useExisting: ProjectsService }], exports: [ProjectDirectory] })
export class ProjectDirectoryModule {}
