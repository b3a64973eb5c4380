import type { ProjectState, SiteState, WaitingRequest } from '../src/allocator/core/allocator.types.js';

export const INSTANCE_TYPES_PER_SITE: number;

export function syntheticFederation(options?: { sites?: number; projects?: number; requests?: number; seed?: number; siteSize?: number }): {
  sites: SiteState[];
  projects: ProjectState[];
  requests: WaitingRequest[];
};
