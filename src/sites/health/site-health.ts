import type { ComputeErrorCategory } from '../../compute/compute-driver.js';
import type { SiteHealth } from '../entities/site.entity.js';

/** What the broker knows of a site's health, as stored on the site. */
export interface HealthRecord {
  health: SiteHealth;
  since: Date;
  checkedAt: Date | null;
  latencyMs: number | null;
  error: string | null;
  consecutiveFailures: number;
}

/** One call to the site (a probe, a reconcile pass, a provisioning call) and how it went. */
export type CallOutcome =
  | { ok: true; latencyMs: number | null; warning?: string }
  | { ok: false; latencyMs: number | null; category: ComputeErrorCategory; message: string; /** the site's own words, for its admins */ detail?: string };

export interface HealthPolicy {
  /** Failed calls in a row after which the site is DOWN: its circuit opens. */
  downAfterFailures: number;
  /** A site slower than this is DEGRADED even when it answers. */
  slowMs: number;
}

/**
 * The circuit breaker, as plain data in and out. DOWN is the open circuit: the allocator places
 * nothing there. Only a success closes it (a probe keeps trying the site, as a half-open breaker would).
 * Rejected credentials open it at once: retrying cannot help until an admin fixes them.
 * Throttling shows the site answers, so it degrades a site but never takes it down.
 */
export function nextHealth(current: HealthRecord, outcome: CallOutcome, policy: HealthPolicy, now: Date): HealthRecord {
  let health: SiteHealth;
  let failures: number;
  let error: string | null;
  if (outcome.ok) {
    failures = 0;
    const slow = outcome.latencyMs !== null && outcome.latencyMs > policy.slowMs;
    error = outcome.warning ?? (slow ? `answered in ${outcome.latencyMs} ms (slower than ${policy.slowMs} ms)` : null);
    health = error ? 'DEGRADED' : 'HEALTHY';
  } else {
    failures = current.consecutiveFailures + 1;
    error = outcome.detail ? `${outcome.message}\n${outcome.detail}` : outcome.message;
    if (outcome.category === 'auth') health = 'DOWN';
    else if (outcome.category === 'throttling') health = 'DEGRADED';
    else health = failures >= policy.downAfterFailures ? 'DOWN' : 'DEGRADED';
  }
  return {
    health,
    since: health === current.health ? current.since : now,
    checkedAt: now,
    latencyMs: outcome.latencyMs ?? current.latencyMs,
    error,
    consecutiveFailures: failures,
  };
}

/**
 * What a site that answers lacks of what its settings say it offers, as a warning (it makes the
 * site DEGRADED). `instanceTypes: null`: the site cannot list its types (no DescribeInstanceTypes,
 * as in OpenStack's ec2-api), so they go unchecked.
 */
export function missingOfferings(
  expected: { zones: string[]; instanceTypes: string[] },
  offered: { zones: string[]; instanceTypes: string[] | null },
): string | undefined {
  const zones = expected.zones.filter((zone) => !offered.zones.includes(zone));
  const types = offered.instanceTypes === null ? [] : expected.instanceTypes.filter((type) => !offered.instanceTypes!.includes(type));
  const plural = (names: string[]) => (names.length > 1 ? 's' : '');
  const problems = [
    zones.length > 0 ? `the site no longer offers availability zone${plural(zones)} ${zones.join(', ')}` : undefined,
    types.length > 0 ? `the site does not offer instance type${plural(types)} ${types.join(', ')}` : undefined,
  ];
  return problems.filter(Boolean).join('; ') || undefined;
}

/**
 * What a caller sees of a stored health error. It holds the broker's words, and the site's own
 * words (when any) on a second line: those reach only the site's admins and federation admins, as
 * a site's error text may say more than a researcher should read (hosts, accounts, internals).
 */
export function healthErrorFor(stored: string | null, withSiteWords: boolean): string | null {
  if (stored === null) return null;
  const newline = stored.indexOf('\n');
  if (newline < 0) return stored;
  return withSiteWords ? `${stored.slice(0, newline)}: ${stored.slice(newline + 1)}` : stored.slice(0, newline);
}
