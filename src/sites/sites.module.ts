import { Module } from '@nestjs/common';
import { SiteDescriptorsService } from './site-descriptors.service.js';
import { SiteHealthProbe } from './site-health.probe.js';
import { SitesResolver } from './sites.resolver.js';
import { SitesService } from './sites.service.js';

@Module({
  providers: [SitesService, SiteHealthProbe, SitesResolver, SiteDescriptorsService],
  exports: [SitesService, SiteDescriptorsService],
})
export class SitesModule {}
