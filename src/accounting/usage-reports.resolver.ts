import { Args, ID, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ProjectView } from '../allocations/dto/project.types.js';
import type { Loaders } from '../graphql/loaders.js';
import { AccessPolicy } from '../identity/access-policy.js';
import { CurrentPrincipal, RequestLoaders } from '../identity/current-principal.decorator.js';
import { Allow, Permission, Scope } from '../identity/permissions/permission.js';
import type { Principal } from '../identity/principal.js';
import { SiteView } from '../sites/dto/site.types.js';
import { toSiteView } from '../sites/site-view.js';
import { InstitutionBalanceView, UsageGroupingEnum, UsageRowView } from './dto/usage.types.js';
import { UsageReports, type UsageGrouping, type UsageTotals } from './usage-reports.js';

const hours = (minutes: number) => minutes / 60;

function toUsageRowView(row: UsageTotals): UsageRowView {
  return {
    projectId: row.projectId,
    siteId: row.siteId,
    institution: row.institution,
    month: row.month,
    image: row.image,
    instanceType: row.instanceType,
    coreHours: hours(row.vcpuMinutes),
    gpuHours: hours(row.gpuMinutes),
    instanceHours: hours(row.instanceMinutes),
    instances: row.instances,
  };
}

@Resolver(() => UsageRowView)
export class UsageReportsResolver {
  constructor(private readonly reports: UsageReports) {}

  @Allow(Permission.ReadOwn, { scope: Scope.signedIn() })
  @Query(() => [UsageRowView], {
    description:
      "charged usage in [from, to) from the ledger, per group: your projects' usage, and as a site admin what ran at your institution's sites (federation admins: everything)",
  })
  async usageReport(
    @CurrentPrincipal() principal: Principal,
    @Args('from', { type: () => Date }) from: Date,
    @Args('to', { type: () => Date, description: 'exclusive' }) to: Date,
    @Args('groupBy', { type: () => [UsageGroupingEnum], description: 'none: one row of totals' }) groupBy: UsageGrouping[],
    @Args('projectId', { type: () => ID, nullable: true }) projectId: string | null,
  ): Promise<UsageRowView[]> {
    return (await this.reports.report(principal, { from, to, groupBy, projectId })).map(toUsageRowView);
  }

  @Allow(Permission.ReadFederation, { scope: Scope.signedIn() })
  @Query(() => [InstitutionBalanceView], { description: "each institution's lent and borrowed core-hours in [from, to): what keeps a pool of lenders honest" })
  async federationBalance(@Args('from', { type: () => Date }) from: Date, @Args('to', { type: () => Date, description: 'exclusive' }) to: Date): Promise<InstitutionBalanceView[]> {
    return (await this.reports.balance(from, to)).map((b) => ({
      institution: b.institution,
      lentCoreHours: hours(b.lentVcpuMinutes),
      borrowedCoreHours: hours(b.borrowedVcpuMinutes),
      netCoreHours: hours(b.lentVcpuMinutes - b.borrowedVcpuMinutes),
    }));
  }

  @ResolveField(() => ProjectView, { nullable: true, description: "grouped by PROJECT: the project, when you may see it (a site admin sees other institutions' usage of their sites by projectName only)" })
  async project(@Parent() row: UsageRowView, @CurrentPrincipal() principal: Principal, @RequestLoaders() loaders: Loaders): Promise<ProjectView | null> {
    const project = row.projectId ? await loaders.project.load(row.projectId) : undefined;
    return project && AccessPolicy.canSeeProject(principal, project) ? project : null;
  }

  @ResolveField(() => String, { nullable: true, description: 'grouped by PROJECT: its name' })
  async projectName(@Parent() row: UsageRowView, @RequestLoaders() loaders: Loaders): Promise<string | null> {
    return row.projectId ? ((await loaders.project.load(row.projectId))?.name ?? null) : null;
  }

  @ResolveField(() => SiteView, { nullable: true, description: 'grouped by SITE' })
  async site(@Parent() row: UsageRowView, @RequestLoaders() loaders: Loaders): Promise<SiteView | null> {
    const site = row.siteId ? await loaders.site.load(row.siteId) : undefined;
    return site ? toSiteView(site) : null;
  }
}
