import type { Instance } from '../requests/entities/instance.entity.js';
import type { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { ALIVE_STATES, HOLDING_STATES } from '../requests/instance-state.js';
import { leaseEnd, leaseOver } from '../requests/lease-time.js';
import type { RequestState } from '../requests/request-state.js';

/**
 * What settling a request does, decided from the request and its instances alone (RequestSettlement
 * reads them under lock and carries the step out):
 * - `start-lease`: enough instances run; the lease starts now, for the request and its instances;
 * - `move`: the request moves to `to`, first ending its alive instances when `endAlive` says why;
 *   `released` when nothing holds resources any more;
 * - `note`: a running request's reason changes (how many run), not its state.
 */
export type SettlementStep =
  | { kind: 'none' }
  | { kind: 'start-lease'; leaseEndsAt: Date; reason: string }
  | { kind: 'move'; to: RequestState; reason: string | null; reasonCode: string | null; endAlive: string | null; released: boolean }
  | { kind: 'note'; reason: string };

export type SettlingRequest = Pick<ResourceRequest, 'state' | 'count' | 'minCount' | 'attempt' | 'leaseHours' | 'leaseEndsAt' | 'reason' | 'reasonCode'>;
export type SettlingInstance = Pick<Instance, 'state' | 'attempt' | 'siteInstanceId' | 'failureCode' | 'failureReason'>;

const NONE: SettlementStep = { kind: 'none' };

/** The step for `request` with `instances` (oldest first) at `now`, giving up after `maxAttempts` failed placements. */
export function settlementStep(request: SettlingRequest, instances: SettlingInstance[], now: Date, maxAttempts: number): SettlementStep {
  // alive: wanted and holding resources; a running request may have some from later attempts (more instances placed for it)
  const alive = instances.filter((i) => ALIVE_STATES.includes(i.state));
  const running = alive.filter((i) => i.state === 'RUNNING');
  const move = (to: RequestState, reason: string | null, reasonCode: string | null, endAlive: string | null = null, released = false): SettlementStep => ({ kind: 'move', to, reason, reasonCode, endAlive, released });

  switch (request.state) {
    case 'PROVISIONING': {
      if (running.length >= request.minCount) return { kind: 'start-lease', leaseEndsAt: leaseEnd(now, request.leaseHours), reason: `${running.length} of ${request.count} running` };
      const failedNow = instances.filter((i) => i.attempt === request.attempt && i.state === 'FAILED');
      if (failedNow.length === 0 || alive.length >= request.minCount) return NONE;
      // the gang cannot complete: give back what started, and decide where to go next
      const cause = failedNow[failedNow.length - 1]!;
      const code = cause.failureCode ?? 'SITE_ERROR';
      const reason = cause.failureReason ?? 'instances failed at the site';
      // any failure fails over: the allocator avoids that site for a while (COOL_DOWN); after too many, give up
      const failedAttempts = new Set(instances.filter((i) => i.state === 'FAILED').map((i) => i.attempt)).size;
      return failedAttempts < maxAttempts
        ? move('QUEUED', `attempt ${request.attempt} failed: ${reason}; waiting to be placed again`, code, 'gang cannot complete')
        : move('FAILED', `gave up after ${failedAttempts} failed attempts; the last: ${reason}`, code, 'gang cannot complete');
    }
    case 'RUNNING': {
      if (leaseOver(request.leaseEndsAt, now)) return move('TERMINATING', `lease ended at ${request.leaseEndsAt.toISOString()}`, 'LEASE_EXPIRED', 'lease ended');
      if (alive.length === 0) {
        const cause = instances.filter((i) => i.state === 'FAILED').pop();
        return move('FAILED', cause?.failureReason ?? 'every instance is gone', cause?.failureCode ?? 'NODE_DISAPPEARED');
      }
      const reason = `${running.length} of ${request.count} running`;
      return running.length > 0 && request.reason !== reason && alive.length === running.length ? { kind: 'note', reason } : NONE;
    }
    case 'TERMINATING': {
      if (instances.some((i) => HOLDING_STATES.includes(i.state))) return NONE;
      const ranAtSite = instances.some((i) => i.siteInstanceId !== null);
      const to = request.reasonCode === 'LEASE_EXPIRED' ? 'EXPIRED' : ranAtSite ? 'TERMINATED' : 'CANCELLED';
      return move(to, request.reason, request.reasonCode, null, true);
    }
    default:
      return NONE;
  }
}
