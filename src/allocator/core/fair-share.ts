import type { ProjectState } from './allocator.types.js';

/**
 * Fair-share in the manner of HTCondor's user priorities. Each project carries its core-hours
 * used, decayed with a half-life: usage an hour old counts a little less than usage now, and
 * usage a half-life old counts half. A project's score is that decayed usage plus what its
 * running leases are promised, times its priority factor; the lowest score goes first. Over a
 * long run, projects with equal demand end up with core-hours in inverse proportion to their
 * factors.
 */

export function fairShareScore(project: Pick<ProjectState, 'usage' | 'promisedCoreHours' | 'priorityFactor'>): number {
  return project.priorityFactor * (project.usage + project.promisedCoreHours);
}

/** Decayed usage `hours` later, with nothing added meanwhile. */
export function decayed(usage: number, hours: number, halfLifeHours: number): number {
  return hours <= 0 ? usage : usage * 2 ** (-hours / halfLifeHours);
}

/** Stored decayed usage (as of `decayedSince`; null: never decayed) brought to `now`. */
export function decayedUsageAt(usage: number, decayedSince: Date | null, now: Date, halfLifeHours: number): number {
  return decayed(usage, decayedSince ? (now.getTime() - decayedSince.getTime()) / 3_600_000 : 0, halfLifeHours);
}
