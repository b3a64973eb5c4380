import { IsNull, type EntityManager } from 'typeorm';
import type { Resources, SiteState } from '../allocator/core/allocator.types.js';
import { Site } from './entities/site.entity.js';

const nothing = (): Resources => ({ vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 });

/** The sites in the federation (not removed), by name. */
export function liveSites(manager: EntityManager): Promise<Site[]> {
  return manager.getRepository(Site).find({ where: { removedAt: IsNull() }, order: { name: 'ASC' } });
}

/** The allocator's view of a site; what is in use there is told by whoever places instances (nothing, if not told). */
export function siteStateOf(site: Site, usage: { used: Resources; usedByHome: Resources } = { used: nothing(), usedByHome: nothing() }): SiteState {
  return {
    id: site.id,
    name: site.name,
    institution: site.institution,
    health: site.health,
    draining: site.drainingSince !== null,
    capacity: { vcpus: site.capacityVcpus, memoryMiB: site.capacityMemoryMib, gpus: site.capacityGpus, instances: site.capacityInstances },
    homeShare: site.homeShare,
    lendsHomeShare: site.lendsHomeShare,
    used: usage.used,
    usedByHome: usage.usedByHome,
    instanceTypes: site.instanceTypes,
    images: site.images.map((m) => m.image),
    labels: site.labels,
  };
}
