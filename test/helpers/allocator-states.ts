import type { ProjectState, Resources, SiteState, WaitingRequest } from '../../src/allocator/core/allocator.types.js';

/**
 * The allocator core's inputs, for its specs: each field at a plain default (a healthy site that
 * offers nothing yet, a project with no limits set, no usage and no budget to run out of, a
 * request for one 1-vCPU instance for an hour), so that a spec says only what it is about.
 */

export const noResources = (): Resources => ({ vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 });

export function siteState(name: string, over: Partial<SiteState> = {}): SiteState {
  return {
    id: `site-${name}`,
    name,
    institution: 'uni-x',
    health: 'HEALTHY',
    draining: false,
    capacity: { vcpus: 0, memoryMiB: 0, gpus: 0, instances: null },
    homeShare: 0,
    lendsHomeShare: false,
    used: noResources(),
    usedByHome: noResources(),
    instanceTypes: [],
    images: [],
    labels: {},
    ...over,
  };
}

export function projectState(id: string, over: Partial<ProjectState> = {}): ProjectState {
  return {
    id,
    institution: 'uni-a',
    limits: { vcpus: 0, memoryMiB: 0, gpus: 0, instances: null },
    used: noResources(),
    coreHoursLeft: null,
    gpuHoursLeft: null,
    promisedCoreHours: 0,
    promisedGpuHours: 0,
    usage: 0,
    priorityFactor: 1,
    ...over,
  };
}

export function waitingRequest(id: string, over: Partial<WaitingRequest> = {}): WaitingRequest {
  return {
    id,
    projectId: 'p1',
    image: 'ubuntu-22.04',
    vcpus: 1,
    memoryMiB: 1024,
    gpus: 0,
    count: 1,
    minCount: 1,
    leaseHours: 1,
    sites: null,
    requirements: [],
    preferredSites: [],
    spanSites: false,
    held: 0,
    avoidSites: [],
    createdAt: new Date(0),
    ...over,
  };
}
