import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { permits } from '../identity/access-policy.js';
import { CurrentPrincipal } from '../identity/current-principal.decorator.js';
import { Allow, Permission, Scope } from '../identity/permissions/permission.js';
import type { Principal } from '../identity/principal.js';
import { isUuid } from '../common/validation.js';
import { ApplySitesInput, RegisterSiteInput, SiteHealthReportView, SitesApplyResultView, SiteView, UpdateSiteInput, type SiteLabelInput } from './dto/site.types.js';
import { healthErrorFor } from './health/site-health.js';
import { SiteAdministration } from './site-administration.service.js';
import { SiteDescriptorsService } from './site-descriptors.service.js';
import type { SiteSpec } from './site-spec.js';
import { toSiteView } from './site-view.js';
import { SitesService } from './sites.service.js';
import { SitesError, SitesErrorCode } from './sites.errors.js';

/** Labels arrive as a list of pairs and are kept as a map: a key given twice is a mistake. */
function labelsOf(labels: SiteLabelInput[] | null | undefined, field = 'labels'): Record<string, string> | undefined {
  if (!labels) return undefined;
  const map: Record<string, string> = {};
  for (const { key, value } of labels) {
    if (Object.hasOwn(map, key)) throw SitesError.about(SitesErrorCode.InvalidSettings, field, `label ${key} is given twice`);
    map[key] = value;
  }
  return map;
}

/** What `skypool sites apply` says the access key id was read from: a reference, never a value. */
function checkedReference(reference: string | null | undefined, field: string): string | undefined {
  if (reference == null) return undefined;
  if (!/^(?:env:[A-Za-z_][A-Za-z0-9_]*|file:[^\0]{1,1024})$/.test(reference)) throw SitesError.about(SitesErrorCode.InvalidSettings, field, 'expected env:NAME or file:PATH');
  return reference;
}

function specOf(input: RegisterSiteInput): SiteSpec {
  return { ...input, labels: labelsOf(input.labels) };
}

@Resolver(() => SiteView)
export class SitesResolver {
  constructor(
    private readonly registry: SitesService,
    private readonly administration: SiteAdministration,
    private readonly descriptors: SiteDescriptorsService,
  ) {}

  @Allow(Permission.ReadFederation, { scope: Scope.signedIn() })
  @Query(() => [SiteView], { description: 'the sites of the federation; removed ones only when asked for' })
  async sites(@Args('includeRemoved', { type: () => Boolean, defaultValue: false }) includeRemoved: boolean): Promise<SiteView[]> {
    return (await this.registry.list({ includeRemoved })).map(toSiteView);
  }

  @Allow(Permission.ReadFederation, { scope: Scope.signedIn() })
  @Query(() => SiteView, { nullable: true })
  async site(@Args('id', { type: () => ID }) id: string): Promise<SiteView | null> {
    const site = isUuid(id) ? await this.registry.findById(id) : null;
    return site ? toSiteView(site) : null;
  }

  @Allow(Permission.ManageSites, { scope: Scope.institution('input.institution') })
  @Mutation(() => SiteView, { description: 'adds a site and probes it at once' })
  async registerSite(@CurrentPrincipal() principal: Principal, @Args('input') input: RegisterSiteInput): Promise<SiteView> {
    return toSiteView(await this.administration.register(principal, specOf(input)));
  }

  // a site that does not exist (or, but for restoreSite, was removed) is NOT_FOUND from the service, as before
  @Allow(Permission.ManageSites, { scope: Scope.site('input.id', { missing: 'service' }) })
  @Mutation(() => SiteView, { description: 'changes some settings of a site; a new endpoint or credentials are probed at once' })
  async updateSite(@CurrentPrincipal() principal: Principal, @Args('input') input: UpdateSiteInput): Promise<SiteView> {
    const { id, labels, ...rest } = input;
    return toSiteView(await this.administration.update(principal, id, { ...rest, labels: labelsOf(labels) }));
  }

  @Allow(Permission.ManageSites, { scope: Scope.site('id', { missing: 'service' }) })
  @Mutation(() => SiteView, { description: 'no new placements at the site; running leases finish' })
  async drainSite(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<SiteView> {
    return toSiteView(await this.registry.drain(principal, id));
  }

  @Allow(Permission.ManageSites, { scope: Scope.site('id', { missing: 'service' }) })
  @Mutation(() => SiteView, { description: 'ends a drain: the site takes placements again' })
  async resumeSite(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<SiteView> {
    return toSiteView(await this.registry.resume(principal, id));
  }

  @Allow(Permission.ManageSites, { scope: Scope.site('id', { missing: 'service' }) })
  @Mutation(() => SiteView, { description: 'takes a site out of the federation; refused while instances there hold resources' })
  async removeSite(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<SiteView> {
    return toSiteView(await this.administration.remove(principal, id));
  }

  @Allow(Permission.ManageSites, { scope: Scope.site('id', { missing: 'service' }) })
  @Mutation(() => SiteView, { description: 'brings a removed site back into the federation as it was (settings, credentials, history) and probes it; refused while another site has its name' })
  async restoreSite(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<SiteView> {
    return toSiteView(await this.administration.restore(principal, id));
  }

  // each site is checked against the caller's grants in the service, with the stored institution too
  @Allow(Permission.ApplySiteDescriptors, { scope: Scope.federation() })
  @Mutation(() => SitesApplyResultView, { description: 'creates or updates sites by name from descriptors, all or none (`skypool sites apply`)' })
  async applySites(@CurrentPrincipal() principal: Principal, @Args('input') input: ApplySitesInput): Promise<SitesApplyResultView> {
    const dryRun = input.dryRun ?? false;
    const descriptors = input.sites.map(({ file, accessKeyIdReference, ...site }, i) => ({
      file: file ?? `sites[${i}]`,
      emulated: false,
      spec: specOf(site),
      references: { accessKeyId: checkedReference(accessKeyIdReference, `sites[${i}].accessKeyIdReference`) },
    }));
    const changes = await this.descriptors.apply(principal, descriptors, { dryRun, healthyOnly: !(input.allowUnhealthy ?? false) });
    return {
      dryRun,
      changes: changes.map((c) => ({ name: c.name, action: c.action, fields: c.fields, site: dryRun && c.action === 'CREATE' ? null : toSiteView(c.site) })),
    };
  }
}

@Resolver(() => SiteHealthReportView)
export class SiteHealthReportResolver {
  @ResolveField(() => String, {
    nullable: true,
    description: "what went wrong last, or why the site is DEGRADED; the site's own error text only for its institution's site admins and federation admins",
  })
  lastError(@Parent() report: SiteHealthReportView, @CurrentPrincipal() principal: Principal | null): string | null {
    return healthErrorFor(report.storedError, permits(Permission.ReadSiteErrorText, principal, { institution: report.institution }));
  }
}
