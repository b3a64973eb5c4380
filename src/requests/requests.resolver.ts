import { Args, Float, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { ProjectView } from '../allocations/dto/project.types.js';
import { MAX_PAGE_SIZE, pageSize } from '../graphql/paging.js';
import type { Loaders } from '../graphql/loaders.js';
import { CurrentPrincipal, RequestLoaders } from '../identity/current-principal.decorator.js';
import { Allow, Permission, Scope } from '../identity/permissions/permission.js';
import type { Principal } from '../identity/principal.js';
import { SiteView } from '../sites/dto/site.types.js';
import { toSiteView } from '../sites/site-view.js';
import {
  InstanceView,
  RequestEventView,
  RequestPlanView,
  RequestStateEnum,
  ResourceRequestView,
  SiteVerdictView,
  SubmitRequestInput,
  SubmitRequestResult,
  TagInput,
} from './dto/request.types.js';
import { ResourceRequest } from './entities/resource-request.entity.js';
import type { RequestState } from './request-state.js';
import { RequestUpdates } from './request-updates.js';
import { toRequestEventView, toRequestView } from './request-views.js';
import { RequestsService } from './requests.service.js';

@Resolver(() => ResourceRequestView)
export class RequestsResolver {
  constructor(
    private readonly requests: RequestsService,
    private readonly updates: RequestUpdates,
  ) {}

  @Allow(Permission.ActInProject, { scope: Scope.project('input.projectId') })
  @Mutation(() => SubmitRequestResult)
  async submitRequest(@CurrentPrincipal() principal: Principal, @Args('input') input: SubmitRequestInput): Promise<typeof SubmitRequestResult> {
    const outcome = await this.requests.submit(principal, input);
    return outcome instanceof ResourceRequest ? Object.assign(new ResourceRequestView(), toRequestView(outcome)) : outcome;
  }

  @Allow(Permission.ActInProject, { scope: Scope.project('input.projectId') })
  @Query(() => RequestPlanView, { description: 'dry run: what would happen to this request now' })
  planRequest(@Args('input') input: SubmitRequestInput): Promise<RequestPlanView> {
    return this.requests.plan(input);
  }

  @Allow(Permission.CancelRequest, { scope: Scope.request('id') })
  @Mutation(() => ResourceRequestView)
  async cancelRequest(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<ResourceRequestView> {
    return toRequestView(await this.requests.cancel(principal, id));
  }

  @Allow(Permission.ExtendLease, { scope: Scope.request('id') })
  @Mutation(() => ResourceRequestView, { description: "a RUNNING request's lease ends `hours` later: within the longest lease allowed and the project's budget" })
  async extendLease(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
    @Args('hours', { type: () => Float }) hours: number,
  ): Promise<ResourceRequestView> {
    return toRequestView(await this.requests.extendLease(principal, id, hours));
  }

  @Allow(Permission.ActInProject, { scope: Scope.request('requestId') })
  @Mutation(() => RequestEventView, { description: "adds a NOTE to the request's history (a batch system's log of what it did); a request that ended may be noted too" })
  async addRequestNote(@Args('requestId', { type: () => ID }) requestId: string, @Args('note', { description: 'one line, 1-1000 characters' }) note: string): Promise<RequestEventView> {
    return toRequestEventView(await this.requests.addNote(requestId, note));
  }

  @Allow(Permission.ActInProject, { scope: Scope.request('id') })
  @Subscription(() => ResourceRequestView, {
    description: 'the request as it is now, then again after each change (read fresh; changes close together may arrive as one); it completes after a final state',
    resolve: (request: ResourceRequest) => toRequestView(request),
  })
  requestUpdated(@Args('id', { type: () => ID }) id: string): AsyncIterableIterator<ResourceRequest> {
    return this.updates.snapshots(id, (requestId) => this.requests.find(requestId));
  }

  /** A request that does not exist is null, as before; one of a project the caller may not see is FORBIDDEN. */
  @Allow(Permission.ActInProject, { scope: Scope.request('id', { missing: 'service' }) })
  @Query(() => ResourceRequestView, { nullable: true })
  async resourceRequest(@Args('id', { type: () => ID }) id: string): Promise<ResourceRequestView | null> {
    const request = await this.requests.find(id);
    return request ? toRequestView(request) : null;
  }

  @Allow(Permission.ActInProject, { scope: Scope.project('projectId', { absent: 'list' }) })
  @Query(() => [ResourceRequestView], { description: 'newest first' })
  async resourceRequests(
    @CurrentPrincipal() principal: Principal,
    @Args('projectId', { type: () => ID, nullable: true }) projectId: string | null,
    @Args('states', { type: () => [RequestStateEnum], nullable: true }) states: RequestState[] | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 100, description: `at most ${MAX_PAGE_SIZE}` }) first: number | null,
    @Args('after', { type: () => ID, nullable: true }) after: string | null,
    @Args('tags', { type: () => [TagInput], nullable: true, description: 'only requests carrying all these tags' }) tags: TagInput[] | null,
  ): Promise<ResourceRequestView[]> {
    return this.requests.listVisible(principal, { projectId, states, tags, first: pageSize(first), after });
  }

  @ResolveField(() => ProjectView)
  async project(@Parent() request: ResourceRequestView, @RequestLoaders() loaders: Loaders): Promise<ProjectView> {
    return (await loaders.project.load(request.projectId))!;
  }

  @ResolveField(() => [SiteVerdictView], { description: 'while it waits for placement: how each site stands for it, those that fit first (like condor_q -better-analyze)' })
  explain(@Parent() request: ResourceRequestView, @RequestLoaders() loaders: Loaders): Promise<SiteVerdictView[]> {
    return loaders.explainOfRequest.load(request.id);
  }

  @ResolveField(() => [InstanceView])
  async instances(@Parent() request: ResourceRequestView, @RequestLoaders() loaders: Loaders): Promise<InstanceView[]> {
    return loaders.instancesOfRequest.load(request.id);
  }

  @ResolveField(() => [RequestEventView], { description: 'its history, oldest first: state changes of the request and its instances, and notices' })
  async events(@Parent() request: ResourceRequestView, @RequestLoaders() loaders: Loaders): Promise<RequestEventView[]> {
    return (await loaders.eventsOfRequest.load(request.id)).map(toRequestEventView);
  }
}

@Resolver(() => RequestEventView)
export class RequestEventsResolver {
  @ResolveField(() => SiteView, { nullable: true, description: 'for INSTANCE_STATE: where the instance is' })
  async site(@Parent() event: RequestEventView, @RequestLoaders() loaders: Loaders): Promise<SiteView | null> {
    const site = event.siteId ? await loaders.site.load(event.siteId) : undefined;
    return site ? toSiteView(site) : null;
  }
}

@Resolver(() => SiteVerdictView)
export class SiteVerdictResolver {
  @ResolveField(() => SiteView)
  async site(@Parent() verdict: SiteVerdictView, @RequestLoaders() loaders: Loaders): Promise<SiteView> {
    return toSiteView((await loaders.site.load(verdict.siteId))!);
  }
}

@Resolver(() => InstanceView)
export class InstancesResolver {
  @ResolveField(() => SiteView)
  async site(@Parent() instance: InstanceView, @RequestLoaders() loaders: Loaders): Promise<SiteView> {
    return toSiteView((await loaders.site.load(instance.siteId))!);
  }
}

/** Project.requests lives here, beside the other request queries, so allocations need not know requests. */
@Resolver(() => ProjectView)
export class ProjectRequestsResolver {
  constructor(private readonly service: RequestsService) {}

  @ResolveField(() => [ResourceRequestView], { description: 'newest first' })
  async requests(
    @Parent() project: ProjectView,
    @Args('states', { type: () => [RequestStateEnum], nullable: true }) states: RequestState[] | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 100, description: `at most ${MAX_PAGE_SIZE}` }) first: number | null,
    @Args('after', { type: () => ID, nullable: true }) after: string | null,
  ): Promise<ResourceRequestView[]> {
    return this.service.list({ projectIds: [project.id], states, first: pageSize(first), after });
  }
}
