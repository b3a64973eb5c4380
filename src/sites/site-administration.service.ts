import { Injectable } from '@nestjs/common';
import type { Principal } from '../identity/principal.js';
import type { Site } from './entities/site.entity.js';
import { SiteHealthService } from './health/site-health.service.js';
import { SiteDescriptorsService } from './site-descriptors.service.js';
import type { SiteSpec } from './site-spec.js';
import { needsProbe, SitesService, type SitePatch } from './sites.service.js';

/**
 * The site registry's use cases that also involve the site's health: a site registered, restored,
 * or given a new endpoint or credentials is probed at once, so its health is known before it is
 * offered placements; a removed one leaves the metrics. (SiteHealthService uses SitesService, so
 * these sit above both.) Who may: Permission.ManageSites, checked before they run.
 */
@Injectable()
export class SiteAdministration {
  constructor(
    private readonly sites: SitesService,
    private readonly health: SiteHealthService,
    private readonly descriptors: SiteDescriptorsService,
  ) {}

  async register(principal: Principal, spec: SiteSpec): Promise<Site> {
    return this.probed(await this.sites.register(principal, spec));
  }

  async update(principal: Principal, id: string, patch: SitePatch): Promise<Site> {
    const { site, fields } = await this.sites.update(principal, id, patch);
    return needsProbe(fields) ? this.probed(site) : ((await this.sites.findById(site.id)) ?? site);
  }

  async remove(principal: Principal, id: string): Promise<Site> {
    const site = await this.sites.remove(principal, id);
    this.health.forget(site);
    return site;
  }

  async restore(principal: Principal, id: string): Promise<Site> {
    return this.probed(await this.descriptors.restore(principal, id));
  }

  /** The site as its probe left it. */
  private async probed(site: Site): Promise<Site> {
    await this.health.probe(site);
    return (await this.sites.findById(site.id)) ?? site;
  }
}
