import { Inject, Injectable } from '@nestjs/common';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../compute/compute.tokens.js';
import type { Site } from './entities/site.entity.js';
import { SitesService } from './sites.service.js';

/** A cheap call that shows whether a site answers with these credentials (at registration). */
@Injectable()
export class SiteHealthProbe {
  constructor(
    private readonly sites: SitesService,
    @Inject(COMPUTE_DRIVERS) private readonly drivers: ComputeDriverFactory,
  ) {}

  async probe(site: Site): Promise<void> {
    try {
      await this.drivers.forSite(this.sites.connectionOf(site)).describeAvailabilityZones();
      await this.sites.setHealth(site, 'HEALTHY');
    } catch (err) {
      await this.sites.setHealth(site, 'DOWN', err instanceof Error ? err.message : String(err));
    }
  }
}
