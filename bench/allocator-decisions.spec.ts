import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { allocate } from '../src/allocator/core/allocator.js';
import type { PlacementStrategy } from '../src/allocator/core/allocator.types.js';
import { syntheticFederation } from './allocator-workload.mjs';

/**
 * The allocator core was made faster for bench:allocator (issue 16) without changing what it
 * decides. These digests are of the decisions the core made before (commit 3a1de11) on
 * synthetic federations: the bench's own, and smaller crowded ones where sites fill up, home
 * shares are borrowed and spanning requests are split. A change that decides differently fails
 * here; if it means to, record the new digests and say why in its commit.
 */
const BEFORE: { workload: Parameters<typeof syntheticFederation>[0]; placement: PlacementStrategy; digest: string }[] = [
  { workload: {}, placement: 'spread', digest: '1cd258325a1ab669072ad74bfb3441410e5c5a44206ef8dc25ddf7c21d62adf8' },
  { workload: { sites: 40, projects: 60, requests: 3000, seed: 1 }, placement: 'spread', digest: '521ce3510d7f22b0712776a0c9d4be5e708fb9707af59b417e4b4733840fe585' },
  { workload: { sites: 40, projects: 60, requests: 3000, seed: 2, siteSize: 0.03 }, placement: 'pack', digest: 'f7ea06ce03d7ceff23fe02c37b39c52a98c5db59fe4d834fb2c79bbceba80433' },
  { workload: { sites: 12, projects: 20, requests: 2000, seed: 3, siteSize: 0.1 }, placement: 'spread', digest: '9861b3e5642d93cc3724d3764d781e394b2d9bcaf78409f406739bfcfc97e62e' },
  { workload: { sites: 12, projects: 20, requests: 2000, seed: 4, siteSize: 0.1 }, placement: 'pack', digest: '799a601beed1a45a05e428cb423f8153f7e0fb5f2b0238b9113008233d023465' },
];

describe('allocate on the bench workloads', () => {
  it.each(BEFORE)('decides as the core did before it was optimised: $workload, $placement', ({ workload, placement, digest }) => {
    const decisions = allocate({ ...syntheticFederation(workload), policy: { placement } });
    expect(createHash('sha256').update(JSON.stringify(decisions)).digest('hex')).toBe(digest);
  });
});
