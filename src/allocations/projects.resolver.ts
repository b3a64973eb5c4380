import { Args, Float, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AccessPolicy } from '../identity/access-policy.js';
import { CurrentPrincipal, RequestLoaders } from '../identity/current-principal.decorator.js';
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
    AccessPolicy.assertCanAdministerProject(principal, project);
    return toAllocationView(await this.allocationsService.grant(principal, input));
  }

  @Mutation(() => AllocationView, { description: 'changes an allocation; what is left out stays' })
  async updateAllocation(@CurrentPrincipal() principal: Principal, @Args('input') input: UpdateAllocationInput): Promise<AllocationView> {
    await this.assertCanAdministerAllocation(principal, input.id);
    return toAllocationView(await this.allocationsService.update(principal, input));
  }

  @Mutation(() => AllocationView, { description: 'stops an allocation counting now; running leases finish unless terminateAfterMinutes is given' })
  async revokeAllocation(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
    @Args('terminateAfterMinutes', { type: () => Int, nullable: true, description: 'terminate what the other allocations do not cover after this many minutes' })
    terminateAfterMinutes: number | null,
  ): Promise<AllocationView> {
    await this.assertCanAdministerAllocation(principal, id);
    return toAllocationView(await this.allocationsService.revoke(principal, id, terminateAfterMinutes));
  }

  @Mutation(() => ProjectView, { description: "sets a project's fair-share priority factor (federation admins); HTCondor-style: 2 gets half the share of 1" })
  async setProjectPriorityFactor(
    @CurrentPrincipal() principal: Principal,
    @Args('projectId', { type: () => ID }) projectId: string,
    @Args('priorityFactor', { type: () => Float }) priorityFactor: number,
  ): Promise<ProjectView> {
    AccessPolicy.assertIsFederationAdmin(principal, 'set priority factors');
    await this.projectsService.get(projectId);
    return this.projectsService.setPriorityFactor(principal, projectId, priorityFactor);
  }

  private async assertCanAdministerAllocation(principal: Principal, allocationId: string): Promise<void> {
    const allocation = await this.allocationsService.get(allocationId);
    AccessPolicy.assertCanAdministerProject(principal, await this.projectsService.get(allocation.projectId));
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
