import { describe, expect, it } from '@jest/globals';
import type { ProjectState, SiteState } from '../allocator/core/allocator.types.js';
import { assessRequest } from './request-assessment.js';
import type { NormalizedRequest } from './request-input.js';

/** Whether a request could ever fit the project's budget is decided exactly, not within a float's noise. */

const none = { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 };
const site: SiteState = {
  id: 's',
  name: 'lab',
  institution: 'uni-x',
  health: 'HEALTHY',
  draining: false,
  capacity: { vcpus: 64, memoryMiB: 1 << 20, gpus: 4, instances: null },
  homeShare: 0,
  lendsHomeShare: false,
  used: none,
  usedByHome: none,
  instanceTypes: [{ name: 'small', vcpus: 1, memoryMiB: 1024, gpus: 0 }],
  images: ['ubuntu-22.04'],
  labels: {},
};
const project = (coreHoursLeft: number): ProjectState => ({
  id: 'p',
  institution: 'uni-x',
  limits: { vcpus: 64, memoryMiB: 1 << 20, gpus: 0, instances: null },
  used: none,
  coreHoursLeft,
  gpuHoursLeft: null,
  promisedCoreHours: 0,
  promisedGpuHours: 0,
  usage: 0,
  priorityFactor: 1,
});
const request = (count: number, leaseHours: number): NormalizedRequest => ({
  projectId: 'p',
  image: 'ubuntu-22.04',
  vcpus: 1,
  memoryMiB: 1024,
  gpus: 0,
  count,
  minCount: count,
  leaseHours,
  sites: null,
  requirements: [],
  preferredSites: [],
  spanSites: false,
  userData: null,
  sshPublicKey: null,
  idempotencyKey: null,
  tags: {},
});

describe('assessRequest against a budget', () => {
  it('lets a gang use the budget to the last core-hour', () => {
    // 7 x 1 vCPU x 0.1 h is 0.7000000000000001 core-hours in doubles
    expect(assessRequest(request(7, 0.1), [site], project(0.7))).toBeUndefined();
    expect(assessRequest(request(3, 0.1), [site], project(0.3))).toBeUndefined();
  });

  it('refuses one that needs more, with the numbers', () => {
    expect(assessRequest(request(8, 0.1), [site], project(0.7))).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 'coreHours', requested: 0.8, allowed: 0.7 });
  });
});
