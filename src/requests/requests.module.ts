import { Global, Module } from '@nestjs/common';
import { AllocationsModule } from '../allocations/allocations.module.js';
import { SiteOccupancy } from '../sites/site-occupancy.js';
import { SitesModule } from '../sites/sites.module.js';
import { InstanceSiteOccupancy } from './instance-holdings.js';
import { RequestLeases } from './request-leases.js';
import { RequestLifecycle } from './request-lifecycle.js';
import { RequestUpdates } from './request-updates.js';
import { InstancesResolver, ProjectRequestsResolver, RequestEventsResolver, RequestsResolver, SiteVerdictResolver } from './requests.resolver.js';
import { RequestsScopes } from './requests.scopes.js';
import { RequestsService } from './requests.service.js';

@Module({
  imports: [AllocationsModule, SitesModule],
  providers: [RequestsService, RequestsScopes, RequestLifecycle, RequestUpdates, RequestLeases, RequestsResolver, InstancesResolver, ProjectRequestsResolver, SiteVerdictResolver, RequestEventsResolver],
  exports: [RequestsService, RequestLifecycle, RequestUpdates],
})
export class RequestsModule {}

/** Tells sites what holds resources on them, so that sites need not know who places instances there. */
@Global()
@Module({ providers: [{ provide: SiteOccupancy, useClass: InstanceSiteOccupancy }], exports: [SiteOccupancy] })
export class SiteOccupancyModule {}
