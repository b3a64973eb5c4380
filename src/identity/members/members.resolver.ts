import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ProjectView } from '../../allocations/dto/project.types.js';
import { ProjectsService } from '../../allocations/projects.service.js';
import type { Loaders } from '../../graphql/loaders.js';
import { CurrentPrincipal, RequestLoaders } from '../current-principal.decorator.js';
import { Allow, Permission, Scope } from '../permissions/permission.js';
import type { Principal } from '../principal.js';
import { AddProjectMemberInput, MeView, ProjectMemberView } from './dto/member.types.js';
import { MembersService } from './members.service.js';

@Resolver(() => ProjectView)
export class MembersResolver {
  constructor(
    private readonly membership: MembersService,
    private readonly projects: ProjectsService,
  ) {}

  @Allow(Permission.ReadOwn, { scope: Scope.signedIn() })
  @Query(() => MeView, { description: 'who you are, your roles and your projects' })
  async me(@CurrentPrincipal() principal: Principal, @RequestLoaders() loaders: Loaders): Promise<MeView> {
    const roles = await Promise.all(
      principal.grants.map(async (g) => ({ role: g.role, project: g.projectId ? ((await loaders.project.load(g.projectId)) ?? null) : null, institution: g.institution ?? null })),
    );
    return { id: principal.id, kind: principal.kind, name: principal.name, roles, projects: await this.projects.listVisible(principal) };
  }

  @Allow(Permission.ManageMembers, { scope: Scope.project('input.projectId') })
  @Mutation(() => ProjectMemberView, { description: 'make a user a RESEARCHER or PROJECT_MANAGER of a project (managers and admins)' })
  addProjectMember(@CurrentPrincipal() principal: Principal, @Args('input') input: AddProjectMemberInput): Promise<ProjectMemberView> {
    return this.membership.add(principal, input);
  }

  @Allow(Permission.ManageMembers, { scope: Scope.project('projectId') })
  @Mutation(() => Boolean, { description: 'false when the user had no role given in the project' })
  removeProjectMember(
    @CurrentPrincipal() principal: Principal,
    @Args('projectId', { type: () => ID }) projectId: string,
    @Args('userId', { type: () => ID }) userId: string,
  ): Promise<boolean> {
    return this.membership.remove(principal, projectId, userId);
  }

  @ResolveField(() => [ProjectMemberView])
  members(@Parent() project: ProjectView): Promise<ProjectMemberView[]> {
    return this.membership.list(project.id);
  }
}
