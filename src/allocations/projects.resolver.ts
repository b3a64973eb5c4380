import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AccessPolicy } from '../identity/access-policy.js';
import { CurrentPrincipal, RequestLoaders } from '../identity/current-principal.decorator.js';
import type { Principal } from '../identity/principal.js';
import type { Loaders } from '../graphql/loaders.js';
import { AllocationsService, toAllocationView } from './allocations.service.js';
import { AllocationView, CreateProjectInput, GrantAllocationInput, ProjectView } from './dto/project.types.js';
import { ProjectsService } from './projects.service.js';

@Resolver(() => ProjectView)
export class ProjectsResolver {
  constructor(
    private readonly projectsService: ProjectsService,
    private readonly allocationsService: AllocationsService,
  ) {}

  @Query(() => [ProjectView], { description: 'the projects you may see' })
  projects(@CurrentPrincipal() principal: Principal): Promise<ProjectView[]> {
    return this.projectsService.listVisible(principal);
  }

  @Mutation(() => ProjectView)
  createProject(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateProjectInput): Promise<ProjectView> {
    AccessPolicy.assertCanAdministerInstitution(principal, input.institution);
    return this.projectsService.create(principal, input);
  }

  @Mutation(() => AllocationView)
  async grantAllocation(@CurrentPrincipal() principal: Principal, @Args('input') input: GrantAllocationInput): Promise<AllocationView> {
    const project = await this.projectsService.get(input.projectId);
    AccessPolicy.assertCanAdministerInstitution(principal, project.institution);
    return toAllocationView(await this.allocationsService.grant(principal, input));
  }

  @ResolveField(() => [AllocationView])
  async allocations(@Parent() project: ProjectView, @RequestLoaders() loaders: Loaders): Promise<AllocationView[]> {
    return (await loaders.allocationsOfProject.load(project.id)).map(toAllocationView);
  }
}

@Resolver(() => AllocationView)
export class AllocationsResolver {
  @ResolveField(() => ProjectView)
  async project(@Parent() allocation: AllocationView, @RequestLoaders() loaders: Loaders): Promise<ProjectView> {
    return (await loaders.project.load(allocation.projectId))!;
  }
}
