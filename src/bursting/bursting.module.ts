import { Module } from '@nestjs/common';
import { AllocationsModule } from '../allocations/allocations.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { WorkerPoolKeeper } from './worker-pool-keeper.js';
import { WorkerPoolsResolver } from './worker-pools.resolver.js';
import { WorkerPoolsScopes } from './worker-pools.scopes.js';
import { WorkerPoolsService } from './worker-pools.service.js';

@Module({
  imports: [AllocationsModule, RequestsModule],
  providers: [WorkerPoolsService, WorkerPoolKeeper, WorkerPoolsScopes, WorkerPoolsResolver],
})
export class BurstingModule {}
