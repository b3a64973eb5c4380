import type { InstanceView, RequestEventView, ResourceRequestView } from './dto/request.types.js';
import type { Instance } from './entities/instance.entity.js';
import type { RequestEvent } from './entities/request-event.entity.js';
import type { ResourceRequest } from './entities/resource-request.entity.js';

export function toRequestView(r: ResourceRequest): ResourceRequestView {
  return {
    id: r.id,
    projectId: r.projectId,
    state: r.state,
    reason: r.reason,
    reasonCode: r.reasonCode,
    image: r.image,
    vcpus: r.vcpus,
    memoryMiB: r.memoryMib,
    gpus: r.gpus,
    count: r.count,
    minCount: r.minCount,
    leaseHours: r.leaseHours,
    sites: r.sites,
    requirements: r.requirements,
    preferredSites: r.preferredSites,
    spanSites: r.spanSites,
    tags: Object.entries(r.tags)
      .map(([key, value]) => ({ key, value }))
      .sort((a, b) => a.key.localeCompare(b.key)),
    leaseEndsAt: r.leaseEndsAt,
    createdAt: r.createdAt,
  };
}

export function toInstanceView(i: Instance): InstanceView {
  return {
    id: i.id,
    siteId: i.siteId,
    instanceType: i.instanceType,
    siteInstanceId: i.siteInstanceId,
    state: i.state,
    privateIp: i.privateIp,
    publicIp: i.publicIp,
    leaseEndsAt: i.leaseEndsAt,
    startedAt: i.startedAt,
    endedAt: i.endedAt,
    borrowed: i.borrowed,
  };
}

export function toRequestEventView(e: RequestEvent): RequestEventView {
  return {
    at: e.at,
    kind: e.kind,
    fromState: e.fromState,
    toState: e.toState,
    reason: e.reason,
    reasonCode: e.reasonCode,
    instanceId: e.instanceId,
    siteId: e.siteId,
  };
}
