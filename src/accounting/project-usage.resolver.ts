import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { ProjectUsageView, ProjectView } from '../allocations/dto/project.types.js';
import { ProjectUsage } from './project-usage.js';

@Resolver(() => ProjectView)
export class ProjectUsageResolver {
  constructor(private readonly projectUsage: ProjectUsage) {}

  @ResolveField(() => ProjectUsageView, { description: 'limits, what is in use, the budget left and the usage so far' })
  usage(@Parent() project: ProjectView): Promise<ProjectUsageView> {
    return this.projectUsage.of(project.id);
  }
}
