import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ProjectView } from '../allocations/dto/project.types.js';
import type { Loaders } from '../graphql/loaders.js';
import { CurrentPrincipal, RequestLoaders } from '../identity/current-principal.decorator.js';
import { Allow, Permission, Scope } from '../identity/permissions/permission.js';
import type { Principal } from '../identity/principal.js';
import { ResourceRequestView } from '../requests/dto/request.types.js';
import { toRequestView } from '../requests/request-views.js';
import { RequestsService } from '../requests/requests.service.js';
import { CreateWorkerPoolInput, WorkerPoolView } from './dto/worker-pool.types.js';
import { WorkerPoolKeeper } from './worker-pool-keeper.js';
import { WorkerPoolsService } from './worker-pools.service.js';

@Resolver(() => WorkerPoolView)
export class WorkerPoolsResolver {
  constructor(
    private readonly pools: WorkerPoolsService,
    private readonly keeper: WorkerPoolKeeper,
    private readonly requests: RequestsService,
  ) {}

  @Allow(Permission.ActInProject, { scope: Scope.project('input.projectId') })
  @Mutation(() => WorkerPoolView, { description: 'a pool that keeps desiredSize workers of one shape running in the project, for a pilot system (HTCondor, GlideinWMS, DIRAC)' })
  async createWorkerPool(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateWorkerPoolInput): Promise<WorkerPoolView> {
    const pool = await this.pools.create(principal, input);
    this.keeper.nudge();
    return this.pools.view(pool);
  }

  @Allow(Permission.ActInProject, { scope: Scope.workerPool('id') })
  @Mutation(() => WorkerPoolView, { description: "within the pool's minSize and maxSize; shrinking ends the newest members first" })
  async setWorkerPoolSize(@Args('id', { type: () => ID }) id: string, @Args('desiredSize', { type: () => Int }) desiredSize: number): Promise<WorkerPoolView> {
    const pool = await this.pools.setSize(id, desiredSize);
    this.keeper.nudge();
    return this.pools.view(pool);
  }

  @Allow(Permission.ActInProject, { scope: Scope.workerPool('id') })
  @Mutation(() => WorkerPoolView, { description: 'ends its members (their instances are terminated); deleting it again changes nothing' })
  async deleteWorkerPool(@Args('id', { type: () => ID }) id: string): Promise<WorkerPoolView> {
    const pool = await this.pools.delete(id);
    this.keeper.nudge();
    return this.pools.view(pool);
  }

  @Allow(Permission.ActInProject, { scope: Scope.workerPool('id', { missing: 'service' }) })
  @Query(() => WorkerPoolView, { nullable: true })
  async workerPool(@Args('id', { type: () => ID }) id: string): Promise<WorkerPoolView | null> {
    const pool = await this.pools.find(id);
    return pool ? this.pools.view(pool) : null;
  }

  @Allow(Permission.ActInProject, { scope: Scope.project('projectId', { absent: 'list' }) })
  @Query(() => [WorkerPoolView], { description: "the project's pools (without projectId: those of every project you may see); deleted ones are left out" })
  async workerPools(@CurrentPrincipal() principal: Principal, @Args('projectId', { type: () => ID, nullable: true }) projectId: string | null): Promise<WorkerPoolView[]> {
    return Promise.all((await this.pools.listVisible(principal, projectId)).map((pool) => this.pools.view(pool)));
  }

  @ResolveField(() => ProjectView)
  async project(@Parent() pool: WorkerPoolView, @RequestLoaders() loaders: Loaders): Promise<ProjectView> {
    return (await loaders.project.load(pool.projectId))!;
  }

  @ResolveField(() => [ResourceRequestView], { description: 'the requests that count as members now (waiting, starting or running), newest first' })
  async members(@Parent() pool: WorkerPoolView): Promise<ResourceRequestView[]> {
    const byId = new Map((await this.requests.findMany(pool.memberIds)).map((r) => [r.id, r]));
    return pool.memberIds.flatMap((id) => (byId.has(id) ? [toRequestView(byId.get(id)!)] : []));
  }
}
