import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AccessPolicy } from '../identity/access-policy.js';
import { CurrentPrincipal } from '../identity/current-principal.decorator.js';
import type { Principal } from '../identity/principal.js';
import { isUuid } from '../common/validation.js';
import { RegisterSiteInput, SiteView } from './dto/site.types.js';
import { SiteHealthProbe } from './site-health.probe.js';
import { SitesService, toSiteView } from './sites.service.js';

@Resolver(() => SiteView)
export class SitesResolver {
  constructor(
    private readonly registry: SitesService,
    private readonly probe: SiteHealthProbe,
  ) {}

  @Query(() => [SiteView])
  async sites(): Promise<SiteView[]> {
    return (await this.registry.list()).map(toSiteView);
  }

  @Query(() => SiteView, { nullable: true })
  async site(@Args('id', { type: () => ID }) id: string): Promise<SiteView | null> {
    const site = isUuid(id) ? await this.registry.findById(id) : null;
    return site ? toSiteView(site) : null;
  }

  @Mutation(() => SiteView)
  async registerSite(@CurrentPrincipal() principal: Principal, @Args('input') input: RegisterSiteInput): Promise<SiteView> {
    AccessPolicy.assertCanManageSites(principal, input.institution);
    const site = await this.registry.register(principal, input);
    await this.probe.probe(site);
    return toSiteView(site);
  }
}
