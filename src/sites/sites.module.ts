import { Module } from '@nestjs/common';
import { SiteHealthMetrics } from './health/site-health.metrics.js';
import { SiteHealthService } from './health/site-health.service.js';
import { SiteDescriptorsService } from './site-descriptors.service.js';
import { SiteHealthReportResolver, SitesResolver } from './sites.resolver.js';
import { SiteAdministration } from './site-administration.service.js';
import { SitesScopes } from './sites.scopes.js';
import { SitesService } from './sites.service.js';

@Module({
  providers: [SitesService, SitesScopes, SiteAdministration, SiteHealthService, SiteHealthMetrics, SitesResolver, SiteHealthReportResolver, SiteDescriptorsService],
  exports: [SitesService, SiteHealthService, SiteDescriptorsService],
})
export class SitesModule {}
