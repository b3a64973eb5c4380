import { Args, Float, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, RequestLoaders } from '../identity/current-principal.decorator.js';
import { Allow, Permission, Scope } from '../identity/permissions/permission.js';
import type { Principal } from '../identity/principal.js';
import type { Loaders } from '../graphql/loaders.js';
import { AllocationsService, toAllocationView } from './allocations.service.js';
import { AllocationView, CreateProjectInput, GrantAllocationInput, ProjectView, UpdateAllocationInput } from './dto/project.types.js';
import { ProjectsService } from './projects.service.js';

@Resolver(() => ProjectView)
export class ProjectsResolver {
  constructor(
    private readonly projectsService: ProjectsService,
    private readonly allocationsService: AllocationsService,
  ) {}

  @Allow(Permission.ReadOwn, { scope: Scope.signedIn() })
  @Query(() => [ProjectView], { description: 'the projects you may see' })
  projects(@CurrentPrincipal() principal: Principal): Promise<ProjectView[]> {
    return this.projectsService.listVisible(principal);
  }

  @Allow(Permission.CreateProject, { scope: Scope.institution('input.institution') })
  @Mutation(() => ProjectView)
  createProject(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateProjectInput): Promise<ProjectView> {
    return this.projectsService.create(principal, input);
  }

  @Allow(Permission.AdministerProject, { scope: Scope.project('input.projectId') })
  @Mutation(() => AllocationView)
  async grantAllocation(@CurrentPrincipal() principal: Principal, @Args('input') input: GrantAllocationInput): Promise<AllocationView> {
    return toAllocationView(await this.allocationsService.grant(principal, input));
  }

  @Allow(Permission.AdministerProject, { scope: Scope.allocation('input.id') })
  @Mutation(() => AllocationView, { description: 'changes an allocation; what is left out stays' })
  async updateAllocation(@CurrentPrincipal() principal: Principal, @Args('input') input: UpdateAllocationInput): Promise<AllocationView> {
    return toAllocationView(await this.allocationsService.update(principal, input));
  }

  @Allow(Permission.AdministerProject, { scope: Scope.allocation('id') })
  @Mutation(() => AllocationView, { description: 'stops an allocation counting now; running leases finish unless terminateAfterMinutes is given' })
  async revokeAllocation(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
    @Args('terminateAfterMinutes', { type: () => Int, nullable: true, description: 'terminate what the other allocations do not cover after this many minutes' })
    terminateAfterMinutes: number | null,
  ): Promise<AllocationView> {
    return toAllocationView(await this.allocationsService.revoke(principal, id, terminateAfterMinutes));
  }

  @Allow(Permission.SetPriorityFactor, { scope: Scope.federation() })
  @Mutation(() => ProjectView, { description: "sets a project's fair-share priority factor (federation admins); HTCondor-style: 2 gets half the share of 1" })
  setProjectPriorityFactor(
    @CurrentPrincipal() principal: Principal,
    @Args('projectId', { type: () => ID }) projectId: string,
    @Args('priorityFactor', { type: () => Float }) priorityFactor: number,
  ): Promise<ProjectView> {
    return this.projectsService.setPriorityFactor(principal, projectId, priorityFactor);
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
