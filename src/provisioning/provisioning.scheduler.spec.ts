import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import pino from 'pino';
import { systemClock } from '../common/clock.js';
import { WorkSignals } from '../common/work-signals.js';
import type { Config } from '../config/config.js';
import type { Db } from '../database/db.js';
import type { LeaseNotices } from './lease-notices.js';
import type { ProvisionerService } from './provisioner.service.js';
import { ProvisioningScheduler } from './provisioning.scheduler.js';
import type { ReconcileOutcome, ReconcilerService } from './reconciler.service.js';
import type { TerminatorService } from './terminator.service.js';

type Pass = Pick<ReconcileOutcome, 'moved' | 'inFlux'> & { started?: boolean };

/**
 * The follow-up reconciles between the schedule's passes, on fake timers: each pass answers
 * what the next `Pass` says (whether instances moved, whether some are still in flux, whether the
 * provisioning run after it started instances at a site).
 */
function scheduler(passes: Pass[]) {
  const seen: { atMs: number; inFlux: boolean }[] = [];
  let current: Pass = { moved: false, inFlux: false };
  const reconciler = {
    reconcileAll: async ({ inFlux }: { inFlux?: boolean }) => {
      seen.push({ atMs: Date.now(), inFlux: inFlux ?? false });
      current = passes.shift() ?? { moved: false, inFlux: false };
      return { released: false, terminating: false, moved: current.moved, inFlux: current.inFlux };
    },
  } as unknown as ReconcilerService;
  const provisioner = { provisionAll: async () => ({ started: current.started ?? false, requeued: false, nextRetryAt: null }), stop: () => undefined, claims: { releaseAll: async () => undefined } } as unknown as ProvisionerService;
  const terminator = { terminateAll: async () => ({ released: false, sent: false }) } as unknown as TerminatorService;
  const leaseNotices = { warnEndingLeases: async () => undefined } as unknown as LeaseNotices;
  const config = { SKYPOOL_RECONCILE_CRON: '0 0 0 1 1 *' } as Config;
  const instance = new ProvisioningScheduler(provisioner, terminator, reconciler, leaseNotices, new WorkSignals(), {} as Db, config, systemClock, pino({ level: 'silent' }));
  /** Seconds after the first pass at which each pass ran, and whether it looked at the instances in flux only. */
  const passesAt = () => seen.map((s) => `${(s.atMs - seen[0]!.atMs) / 1000}${s.inFlux ? '' : ' whole'}`);
  return { instance, passesAt };
}

describe('follow-up reconciles', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-12-03T12:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('look again while instances are in flux: after 3 s while they move, backing off to 30 s while none does, and stop when none is left', async () => {
    const still = { moved: false, inFlux: true };
    const { instance, passesAt } = scheduler([still, still, { moved: true, inFlux: true }, still, still, still, still, still, { moved: true, inFlux: false }]);
    await instance.reconcileNow();
    await jest.advanceTimersByTimeAsync(300_000);
    // 6, 12, then 3 after a move, then 6, 12, 24, 30, 30 s apart
    expect(passesAt()).toEqual(['0 whole', '6', '18', '21', '27', '39', '63', '93', '123']);
    await instance.drain();
  });

  it('come 3 s after calls to a site, sooner than a backed-off follow-up', async () => {
    const still = { moved: false, inFlux: true };
    const { instance, passesAt } = scheduler([still, still, still, { moved: false, inFlux: true, started: true }, { moved: true, inFlux: false }]);
    await instance.reconcileNow();
    await jest.advanceTimersByTimeAsync(300_000);
    // 6, 12, 24 s apart; the provisioning run after the pass at 42 s starts instances: 3 s later, not 48
    expect(passesAt()).toEqual(['0 whole', '6', '18', '42', '45']);
    await instance.drain();
  });

  it('stop with the broker', async () => {
    const { instance, passesAt } = scheduler([{ moved: false, inFlux: true }]);
    await instance.reconcileNow();
    await instance.drain();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(passesAt()).toEqual(['0 whole']);
  });
});
