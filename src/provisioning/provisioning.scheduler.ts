import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logging.js';
import { SerialTask } from '../common/serial-task.js';
import { WorkSignals } from '../common/work-signals.js';
import { CONFIG, type Config } from '../config/config.js';
import { ProvisionerService } from './provisioner.service.js';
import { ReconcilerService } from './reconciler.service.js';
import { TerminatorService } from './terminator.service.js';

/** Instances usually settle within seconds of a call to their site: look again this soon after. */
const FOLLOW_UP_MS = 3000;

/**
 * When provisioning work runs: right after the signal that makes it due, a follow-up reconcile
 * a few seconds after a site was asked to start or end something, and the reconcile schedule,
 * which also retries whatever a signal missed (a crash, another broker process).
 */
@Injectable()
export class ProvisioningScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly provisioning: SerialTask;
  private readonly terminating: SerialTask;
  private readonly reconciling: SerialTask;
  private schedule?: ScheduledTask;
  private followUp?: NodeJS.Timeout;

  constructor(
    private readonly provisioner: ProvisionerService,
    private readonly terminator: TerminatorService,
    private readonly reconciler: ReconcilerService,
    private readonly signals: WorkSignals,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const report = (what: string) => (err: unknown) => this.logger.error({ err }, `${what} failed`);
    this.provisioning = new SerialTask(async () => {
      if (await this.provisioner.provisionAll()) this.reconcileSoon();
    }, report('provisioning'));
    this.terminating = new SerialTask(async () => {
      const outcome = await this.terminator.terminateAll();
      if (outcome.released) this.signals.emit('requests-waiting');
      if (outcome.sent) this.reconcileSoon();
    }, report('termination'));
    this.reconciling = new SerialTask(async () => {
      const outcome = await this.reconciler.reconcileAll();
      if (outcome.released) this.signals.emit('requests-waiting');
      await Promise.all([this.provisioning.trigger(), this.terminating.trigger()]);
    }, report('reconcile pass'));
  }

  onApplicationBootstrap(): void {
    this.signals.on('placements-ready', () => void this.provisioning.trigger());
    this.signals.on('terminations-ready', () => void this.terminating.trigger());
    this.schedule = cron.schedule(this.config.SKYPOOL_RECONCILE_CRON, () => this.reconciling.trigger(), { name: 'reconciler', noOverlap: true });
  }

  private reconcileSoon(): void {
    if (this.followUp) return;
    this.followUp = setTimeout(() => {
      this.followUp = undefined;
      void this.reconciling.trigger();
    }, FOLLOW_UP_MS);
    this.followUp.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.followUp);
    await this.schedule?.destroy();
    await Promise.all([this.provisioning.stop(), this.terminating.stop(), this.reconciling.stop()]);
  }

  /** One full pass now: reconcile every site, then provision and terminate what is due. */
  reconcileNow(): Promise<void> {
    return this.reconciling.trigger();
  }
}
