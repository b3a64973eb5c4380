import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logging.js';
import { SerialTask } from '../common/serial-task.js';
import { WorkSignals } from '../common/work-signals.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LeaseNotices } from './lease-notices.js';
import { ProvisionerService } from './provisioner.service.js';
import { ReconcilerService } from './reconciler.service.js';
import { TerminatorService } from './terminator.service.js';

/** Instances usually settle within seconds of a call to their site: look again this soon after. */
const FOLLOW_UP_MS = 3000;
/** While instances stay in flux and none moves (a slow cloud), follow-ups back off to this. */
const SLOWEST_FOLLOW_UP_MS = 30_000;

/**
 * When provisioning work runs: right after the signal that makes it due; follow-up reconciles of
 * the instances in flux, a few seconds after a site was asked to start or end something and again
 * while some are still starting or ending (every few seconds while they move, less often while
 * they wait); and the reconcile schedule, whose passes look at everything and also retry whatever
 * a signal missed (a crash, another broker process).
 */
@Injectable()
export class ProvisioningScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly provisioning: SerialTask;
  private readonly terminating: SerialTask;
  private readonly reconciling: SerialTask;
  private schedule?: ScheduledTask;
  private followUp?: { timer: NodeJS.Timeout; dueMs: number };
  /** How long the next follow-up waits while instances stay in flux: doubled after each pass in which none moved. */
  private followUpDelayMs = FOLLOW_UP_MS;
  /** The next reconcile pass looks at every instance (the schedule's, or one asked for), not only at those in flux (a follow-up). */
  private wholePassDue = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly provisioner: ProvisionerService,
    private readonly terminator: TerminatorService,
    private readonly reconciler: ReconcilerService,
    private readonly leaseNotices: LeaseNotices,
    private readonly signals: WorkSignals,
    private readonly db: Db,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const report = (what: string) => (err: unknown) => this.logger.error({ err }, `${what} failed`);
    this.provisioning = new SerialTask(async () => {
      const outcome = await this.provisioner.provisionAll();
      if (outcome.started) this.reconcileSoon();
      if (outcome.requeued) this.signals.emit('requests-waiting');
      if (outcome.nextRetryAt) this.retryAt(outcome.nextRetryAt);
    }, report('provisioning'));
    this.terminating = new SerialTask(async () => {
      const outcome = await this.terminator.terminateAll();
      if (outcome.released) this.signals.emit('requests-waiting');
      if (outcome.sent) this.reconcileSoon();
    }, report('termination'));
    this.reconciling = new SerialTask(async () => {
      // a follow-up looks at what is in flux only, unless a whole pass was asked for meanwhile
      const inFlux = !this.wholePassDue;
      this.wholePassDue = false;
      await this.leaseNotices.warnEndingLeases();
      const outcome = await this.reconciler.reconcileAll({ inFlux });
      if (outcome.released) this.signals.emit('requests-waiting');
      if (outcome.inFlux) {
        this.followUpDelayMs = outcome.moved ? FOLLOW_UP_MS : Math.min(this.followUpDelayMs * 2, SLOWEST_FOLLOW_UP_MS);
        this.followUpIn(this.followUpDelayMs);
      }
      await Promise.all([this.provisioning.trigger(), this.terminating.trigger()]);
    }, report('reconcile pass'));
  }

  async onApplicationBootstrap(): Promise<void> {
    // The embedded database serves this process alone: a claim left there was this deployment's last process's, which is gone
    // (killed: a graceful stop hands its claims back). It lapses now rather than in CLAIM_MS, and keeps claimed_by so that the
    // placement counts as resumed: that process may have sent RunInstances, so its instances are looked for by tag first.
    if (!this.config.DATABASE_URL) await this.db.manager.query('UPDATE instance SET claimed_until = NULL WHERE claimed_by IS NOT NULL');
    this.signals.on('placements-ready', () => void this.provisioning.trigger());
    this.signals.on('terminations-ready', () => void this.terminating.trigger());
    this.schedule = cron.schedule(this.config.SKYPOOL_RECONCILE_CRON, () => this.reconcileWhole(), { name: 'reconciler', noOverlap: true });
  }

  /** Provisioning runs again when the earliest backoff ends (the reconcile schedule would also get to it, later). */
  private retryAt(at: Date): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.provisioning.trigger(), Math.max(0, at.getTime() - this.clock.now().getTime()));
    this.retry.unref();
  }

  /** After calls to sites: their instances change within seconds. */
  private reconcileSoon(): void {
    this.followUpDelayMs = FOLLOW_UP_MS;
    this.followUpIn(FOLLOW_UP_MS);
  }

  /** A follow-up reconcile of the instances in flux in `ms`, unless one is due sooner. */
  private followUpIn(ms: number): void {
    if (this.draining) return;
    const dueMs = performance.now() + ms; // timers run on real time, whatever the clock says
    if (this.followUp && this.followUp.dueMs <= dueMs) return;
    clearTimeout(this.followUp?.timer);
    const timer = setTimeout(() => {
      this.followUp = undefined;
      void this.reconciling.trigger();
    }, ms);
    timer.unref();
    this.followUp = { timer, dueMs };
  }

  /**
   * Takes no new work, lets the calls under way finish, and hands back what this process had
   * claimed. The broker drains this before its HTTP server stops (see startBroker): that server
   * serves the bundled emulator, which must answer the calls under way (a refused RunInstances
   * counts as a failed try against the site). Once is enough; later calls wait for the first.
   */
  drain(): Promise<void> {
    this.draining ??= this.stopWork();
    return this.draining;
  }

  private draining?: Promise<void>;

  private async stopWork(): Promise<void> {
    clearTimeout(this.followUp?.timer);
    clearTimeout(this.retry);
    this.provisioner.stop(); // a pass under way finishes its calls to sites but starts no more placements
    await this.schedule?.destroy();
    await Promise.all([this.provisioning.stop(), this.terminating.stop(), this.reconciling.stop()]);
    await this.provisioner.claims.releaseAll().catch((err) => this.logger.warn({ err: String(err) }, 'could not hand back claimed placements; they lapse on their own'));
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.drain();
  }

  /** One full pass now: reconcile every site, then provision and terminate what is due. */
  reconcileNow(): Promise<void> {
    return this.reconcileWhole();
  }

  private reconcileWhole(): Promise<void> {
    this.wholePassDue = true;
    return this.reconciling.trigger();
  }
}
