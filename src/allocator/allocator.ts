import type { AllocatorInput, Decision, InstanceTypeOffer, ProjectState, Resources, SiteState, WaitReasonCode, WaitingRequest } from './allocator.types.js';

/** The smallest instance type that gives at least what the request asks per instance. */
export function smallestFittingType(types: InstanceTypeOffer[], want: { vcpus: number; memoryMiB: number; gpus: number }): InstanceTypeOffer | undefined {
  return types
    .filter((t) => t.vcpus >= want.vcpus && t.memoryMiB >= want.memoryMiB && t.gpus >= want.gpus)
    .sort((a, b) => a.gpus - b.gpus || a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB || a.name.localeCompare(b.name))[0];
}

/** How many instances of `type` fit in what is left of `limits` after `used`. */
function howManyFit(limits: Omit<Resources, 'instances'> & { instances: number | null }, used: Resources, type: InstanceTypeOffer): number {
  const per = (limit: number, inUse: number, each: number) => (each === 0 ? Infinity : Math.floor((limit - inUse) / each));
  const byCount = limits.instances === null ? Infinity : limits.instances - used.instances;
  return Math.max(0, Math.min(per(limits.vcpus, used.vcpus, type.vcpus), per(limits.memoryMiB, used.memoryMiB, type.memoryMiB), per(limits.gpus, used.gpus, type.gpus), byCount));
}

function hold(used: Resources, type: InstanceTypeOffer, count: number): void {
  used.vcpus += type.vcpus * count;
  used.memoryMiB += type.memoryMiB * count;
  used.gpus += type.gpus * count;
  used.instances += count;
}

/** Which project limit stops `count` instances of `type`, in words, e.g. "project quota: 62/64 vCPUs in use". */
function bindingQuota(project: ProjectState, type: InstanceTypeOffer, count: number): string {
  const l = project.limits;
  const u = project.used;
  if (u.vcpus + type.vcpus * count > l.vcpus) return `project quota: ${u.vcpus}/${l.vcpus} vCPUs in use, ${type.vcpus * count} more needed`;
  if (u.memoryMiB + type.memoryMiB * count > l.memoryMiB) return `project quota: ${u.memoryMiB}/${l.memoryMiB} MiB of memory in use, ${type.memoryMiB * count} more needed`;
  if (u.gpus + type.gpus * count > l.gpus) return `project quota: ${u.gpus}/${l.gpus} GPUs in use, ${type.gpus * count} more needed`;
  return `project quota: ${u.instances}/${l.instances} instances in use, ${count} more needed`;
}

/** Projects using the smallest share of their vCPU limit go first; inside a project, oldest first. */
function fairShareOrder(requests: WaitingRequest[], projects: Map<string, ProjectState>): WaitingRequest[] {
  const share = (id: string) => {
    const p = projects.get(id);
    return p && p.limits.vcpus > 0 ? p.used.vcpus / p.limits.vcpus : Infinity;
  };
  return [...requests].sort((a, b) => share(a.projectId) - share(b.projectId) || a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
}

export interface Candidate {
  site: SiteState;
  type: InstanceTypeOffer;
  /** How many instances of the request would start there now. */
  fits: number;
}

export type Evaluation = { kind: 'wait'; reasonCode: WaitReasonCode; reason: string } | { kind: 'match'; candidates: Candidate[] };

/**
 * Filters the sites for one request (allowed, image, instance type, not DOWN, project quota,
 * site room for `minCount`) and ranks the rest; or says which filter stopped it.
 */
export function evaluate(request: WaitingRequest, project: ProjectState | undefined, sites: SiteState[]): Evaluation {
  const wait = (reasonCode: WaitReasonCode, reason: string): Evaluation => ({ kind: 'wait', reasonCode, reason });
  if (!project) return wait('QUOTA', 'project has no allocation in force');
  const allowed = sites.filter((s) => request.sites === null || request.sites.includes(s.name));
  if (allowed.length === 0) return wait('NO_SITE', `none of the allowed sites (${request.sites?.join(', ')}) is registered`);
  const withImage = allowed.filter((s) => s.images.includes(request.image));
  if (withImage.length === 0) return wait('NO_IMAGE', `no ${request.sites ? 'allowed ' : ''}site has image '${request.image}'`);
  const typed = withImage
    .map((site) => ({ site, type: smallestFittingType(site.instanceTypes, request) }))
    .filter((c): c is { site: SiteState; type: InstanceTypeOffer } => !!c.type);
  if (typed.length === 0) {
    return wait('NO_INSTANCE_TYPE', `no site with image '${request.image}' has an instance type with ${request.vcpus} vCPUs, ${request.memoryMiB} MiB${request.gpus ? `, ${request.gpus} GPUs` : ''}`);
  }
  const up = typed.filter((c) => c.site.health !== 'DOWN' && !c.site.draining);
  if (up.length === 0) {
    const why = typed.map((c) => `site ${c.site.name} is ${c.site.health === 'DOWN' ? 'DOWN' : 'draining'}`).join('; ');
    return wait(typed.some((c) => c.site.health === 'DOWN') ? 'SITE_DOWN' : 'SITE_DRAINING', why);
  }
  const quotaFits = (type: InstanceTypeOffer) => howManyFit(project.limits, project.used, type);
  const inQuota = up.filter((c) => quotaFits(c.type) >= request.minCount);
  if (inQuota.length === 0) return wait('QUOTA', bindingQuota(project, up[0]!.type, request.minCount));
  const candidates = inQuota
    .map((c) => ({ ...c, fits: Math.min(request.count, quotaFits(c.type), howManyFit(c.site.capacity, c.site.used, c.type)) }))
    .filter((c) => c.fits >= request.minCount)
    // smallest fitting type first, then healthy before unknown or degraded, then the emptiest site (spread)
    .sort(
      (a, b) =>
        a.type.vcpus - b.type.vcpus ||
        a.type.memoryMiB - b.type.memoryMiB ||
        Number(b.site.health === 'HEALTHY') - Number(a.site.health === 'HEALTHY') ||
        a.site.used.vcpus / a.site.capacity.vcpus - b.site.used.vcpus / b.site.capacity.vcpus ||
        a.site.name.localeCompare(b.site.name),
    );
  if (candidates.length === 0) {
    const load = inQuota.map((c) => `${c.site.name}: ${c.site.used.vcpus}/${c.site.capacity.vcpus} vCPUs in use`).join('; ');
    return wait('SITE_CAPACITY', `no site has room for ${request.minCount} x ${inQuota[0]!.type.name} right now (${load})`);
  }
  return { kind: 'match', candidates };
}

/**
 * One allocator pass. Each request is placed whole on one site (at least `minCount`, at most
 * `count` instances, as many as fit), or told why it waits. Decisions within the pass see
 * each other's holds, so a pass never over-commits a project or a site.
 */
export function allocate(input: AllocatorInput): Decision[] {
  const projects = new Map(input.projects.map((p) => [p.id, { ...p, used: { ...p.used } }]));
  const sites = input.sites.map((s) => ({ ...s, used: { ...s.used } }));
  const decisions: Decision[] = [];
  for (const request of fairShareOrder(input.requests, projects)) {
    const project = projects.get(request.projectId);
    const evaluation = evaluate(request, project, sites);
    if (evaluation.kind === 'wait') {
      decisions.push({ requestId: request.id, ...evaluation });
      continue;
    }
    const best = evaluation.candidates[0]!;
    hold(project!.used, best.type, best.fits);
    hold(best.site.used, best.type, best.fits);
    decisions.push({ requestId: request.id, kind: 'place', siteId: best.site.id, instanceType: best.type, count: best.fits });
  }
  return decisions;
}
