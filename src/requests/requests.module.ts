import { Module } from '@nestjs/common';
import { AllocationsModule } from '../allocations/allocations.module.js';
import { RequestLifecycle } from './request-lifecycle.js';
import { InstancesResolver, ProjectRequestsResolver, RequestsResolver, SiteVerdictResolver } from './requests.resolver.js';
import { RequestsService } from './requests.service.js';

@Module({
  imports: [AllocationsModule],
  providers: [RequestsService, RequestLifecycle, RequestsResolver, InstancesResolver, ProjectRequestsResolver, SiteVerdictResolver],
  exports: [RequestsService, RequestLifecycle],
})
export class RequestsModule {}
