import { Module } from '@nestjs/common';
import { AllocationsScopes } from './allocations.scopes.js';
import { AllocationsService } from './allocations.service.js';
import { ProjectsResolver, AllocationsResolver } from './projects.resolver.js';
import { ProjectsService } from './projects.service.js';

@Module({
  providers: [ProjectsService, AllocationsService, AllocationsScopes, ProjectsResolver, AllocationsResolver],
  exports: [ProjectsService, AllocationsService],
})
export class AllocationsModule {}
