import { describe, expect, it } from '@jest/globals';
import type { InstanceTypeOffer, ProjectState, SiteState } from './allocator.types.js';
import { projectState, siteState } from '../../../test/helpers/allocator-states.js';
import { budgetFits, pooledCapacity } from './site-filter.js';

/** The filters' arithmetic on budgets and home shares is exact: no float slack decides a placement. */

const site = (homeShare: number, capacity: SiteState['capacity']): SiteState => siteState('s', { id: 's', homeShare, capacity });
const project = (over: Partial<ProjectState>): ProjectState => projectState('p', { institution: 'uni-y', limits: { vcpus: 1000, memoryMiB: 1 << 30, gpus: 100, instances: null }, ...over });
const small: InstanceTypeOffer = { name: 'small', vcpus: 1, memoryMiB: 1024, gpus: 0 };
const gpu: InstanceTypeOffer = { name: 'gpu', vcpus: 1, memoryMiB: 1024, gpus: 1 };

describe('pooledCapacity', () => {
  it('lends what the home share leaves, in whole units', () => {
    // in floats 10 x (1 - 0.9) is 0.9999999999999998
    expect(pooledCapacity(site(0.9, { vcpus: 10, memoryMiB: 100, gpus: 10, instances: 10 }))).toEqual({ vcpus: 1, memoryMiB: 10, gpus: 1, instances: 1 });
    expect(pooledCapacity(site(0.7, { vcpus: 10, memoryMiB: 3, gpus: 0, instances: null }))).toEqual({ vcpus: 3, memoryMiB: 0, gpus: 0, instances: null });
    expect(pooledCapacity(site(0.25, { vcpus: 7, memoryMiB: 4096, gpus: 1, instances: 3 }))).toEqual({ vcpus: 5, memoryMiB: 3072, gpus: 0, instances: 2 });
    expect(pooledCapacity(site(0, { vcpus: 7, memoryMiB: 4096, gpus: 1, instances: 3 }))).toEqual({ vcpus: 7, memoryMiB: 4096, gpus: 1, instances: 3 });
    expect(pooledCapacity(site(1, { vcpus: 7, memoryMiB: 4096, gpus: 1, instances: 3 }))).toEqual({ vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 });
  });
});

describe('budgetFits', () => {
  it('fits exactly as many leases as the budget pays for', () => {
    // 0.7 / 0.1 is 6.999999999999999 in floats
    expect(budgetFits(project({ coreHoursLeft: 0.7 }), small, 0.1)).toBe(7);
    expect(budgetFits(project({ coreHoursLeft: 0.3 }), small, 0.1)).toBe(3);
    // a budget left of 538 vCPU-minutes (10 core-hours less 62 minutes charged), 2 vCPUs for 269 minutes each
    expect(budgetFits(project({ coreHoursLeft: 538 / 60 }), { ...small, vcpus: 2 }, 269 / 60)).toBe(1);
    expect(budgetFits(project({ coreHoursLeft: 538 / 60 }), small, 269 / 60)).toBe(2);
  });

  it('counts what running leases are promised, and never goes below zero', () => {
    expect(budgetFits(project({ coreHoursLeft: 10, promisedCoreHours: 9.9 }), small, 0.1)).toBe(1);
    expect(budgetFits(project({ coreHoursLeft: 10, promisedCoreHours: 9.95 }), small, 0.1)).toBe(0);
    expect(budgetFits(project({ coreHoursLeft: 1, promisedCoreHours: 3 }), small, 1)).toBe(0);
  });

  it('holds GPU budgets the same way, and leaves unlimited budgets unlimited', () => {
    expect(budgetFits(project({ gpuHoursLeft: 4.1 }), gpu, 0.1)).toBe(41);
    expect(budgetFits(project({}), gpu, 1000)).toBe(Infinity);
  });
});
