import type { EntityManager } from 'typeorm';
import type { ProjectState, Resources, SiteState } from '../allocator/core/allocator.types.js';
import { loadProjectStanding, loadProjectStandings, type ProjectStanding } from '../allocations/project-standings.js';
import { groupBy } from '../common/group-by.js';
import type { Site } from '../sites/entities/site.entity.js';
import { liveSites, siteStateOf } from '../sites/site-state.js';
import { loadHoldings, type Holding } from './instance-holdings.js';

/*
 * The federation as the allocator core sees it, composed from what each owner publishes: the
 * site registry (sites), limits, budgets and fair share (allocations) and what instances hold
 * (requests, which place them). Three queries, one after the other: inside a transaction they
 * share one connection.
 */

const nothing = (): Resources => ({ vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 });

function add(total: Resources, more: Resources): void {
  total.vcpus += more.vcpus;
  total.memoryMiB += more.memoryMiB;
  total.gpus += more.gpus;
  total.instances += more.instances;
}

export interface FederationState {
  sites: { site: Site; state: SiteState }[];
  /** The projects asked about that have an allocation in force (with `withoutAllocation`, all asked about). */
  projects: ProjectState[];
}

/**
 * Every site and the projects in `projectIds` (all with an allocation in force, when null).
 * Without `holdings`, nothing counts as in use or promised (enough to judge what a request could
 * ever get); `withoutAllocation` also gives the projects asked about that have none in force.
 */
export async function loadFederationState(
  manager: EntityManager,
  now: Date,
  halfLifeHours: number,
  options: { projectIds?: readonly string[] | null; holdings?: boolean; withoutAllocation?: boolean } = {},
): Promise<FederationState> {
  const sites = await liveSites(manager);
  const holdings = options.holdings === false ? [] : await loadHoldings(manager, now);
  // a project holding instances counts at a site's home share by its institution, allocation or not
  const holders = [...new Set(holdings.map((h) => h.projectId))];
  const standings = await loadProjectStandings(manager, now, halfLifeHours, { projectIds: options.projectIds, withoutAllocation: options.withoutAllocation || holders });
  const institutionOf = new Map(standings.map((s) => [s.id, s.institution]));

  const bySite = new Map<string, { used: Resources; usedByHome: Resources }>();
  const siteById = new Map(sites.map((s) => [s.id, s]));
  for (const h of holdings) {
    const site = siteById.get(h.siteId);
    if (site) {
      const usage = bySite.get(h.siteId) ?? { used: nothing(), usedByHome: nothing() };
      add(usage.used, h.used);
      if (institutionOf.get(h.projectId) === site.institution) add(usage.usedByHome, h.used);
      bySite.set(h.siteId, usage);
    }
  }
  const byProject = groupBy(holdings, (h) => h.projectId);

  const asked = options.projectIds ? new Set(options.projectIds) : null;
  const wanted = (s: ProjectStanding) => (asked === null || asked.has(s.id)) && (s.inForce || options.withoutAllocation === true);
  return {
    sites: sites.map((site) => ({ site, state: siteStateOf(site, bySite.get(site.id)) })),
    projects: standings.filter(wanted).map((s) => projectStateOf(s, byProject.get(s.id) ?? [])),
  };
}

/**
 * The projects in `projectIds` that have an allocation in force (with `withoutAllocation`, all of
 * them), with what their instances hold: two queries.
 */
export async function loadProjectStates(
  manager: EntityManager,
  now: Date,
  halfLifeHours: number,
  projectIds: readonly string[],
  options: { withoutAllocation?: boolean } = {},
): Promise<ProjectState[]> {
  const standings = await loadProjectStandings(manager, now, halfLifeHours, { projectIds, withoutAllocation: options.withoutAllocation });
  const byProject = groupBy(await loadHoldings(manager, now, projectIds), (h) => h.projectId);
  return standings.map((s) => projectStateOf(s, byProject.get(s.id) ?? []));
}

/**
 * The project, if it has an allocation in force, with nothing counted as in use or promised:
 * enough to judge what a request could ever get (a submission's check), in one prepared statement.
 */
export async function loadProjectLimits(manager: EntityManager, now: Date, halfLifeHours: number, projectId: string): Promise<ProjectState | undefined> {
  const standing = await loadProjectStanding(manager, now, halfLifeHours, projectId);
  return standing?.inForce ? projectStateOf(standing, []) : undefined;
}

function projectStateOf(standing: ProjectStanding, holdings: Holding[]): ProjectState {
  const used = nothing();
  let promisedCoreHours = 0;
  let promisedGpuHours = 0;
  for (const h of holdings) {
    add(used, h.used);
    promisedCoreHours += h.promisedCoreHours;
    promisedGpuHours += h.promisedGpuHours;
  }
  const { id, institution, limits, coreHoursLeft, gpuHoursLeft, usage, priorityFactor } = standing;
  return { id, institution, limits, used, coreHoursLeft, gpuHoursLeft, promisedCoreHours, promisedGpuHours, usage, priorityFactor };
}
