import type { Site } from './entities/site.entity.js';
import type { SiteView } from './dto/site.types.js';

/** A site as the API shows it: everything but its credentials' secret. */
export function toSiteView(site: Site): SiteView {
  return {
    id: site.id,
    name: site.name,
    institution: site.institution,
    endpoint: site.endpoint,
    region: site.region,
    availabilityZones: site.availabilityZones,
    health: site.health,
    healthReport: {
      state: site.health,
      since: site.healthSince,
      checkedAt: site.healthCheckedAt,
      latencyMs: site.healthLatencyMs,
      storedError: site.healthError,
      institution: site.institution,
      consecutiveFailures: site.consecutiveFailures,
      circuitOpen: site.health === 'DOWN',
      malformedReplies: site.malformedReplies,
      lastMalformedReply: site.lastMalformedReply,
      lastMalformedReplyAt: site.lastMalformedReplyAt,
    },
    capacity: { vcpus: site.capacityVcpus, memoryMiB: site.capacityMemoryMib, gpus: site.capacityGpus, instances: site.capacityInstances },
    instanceTypes: site.instanceTypes,
    images: site.images,
    homeShare: site.homeShare,
    lendsHomeShare: site.lendsHomeShare,
    labels: Object.entries(site.labels).map(([key, value]) => ({ key, value })).sort((a, b) => a.key.localeCompare(b.key)),
    network: site.network,
    tagMode: site.tagMode,
    draining: site.drainingSince !== null,
    drainingSince: site.drainingSince,
    removedAt: site.removedAt,
    emulated: site.emulated,
  };
}
