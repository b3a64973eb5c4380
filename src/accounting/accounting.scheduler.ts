import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logging.js';
import { SerialTask } from '../common/serial-task.js';
import { WorkSignals } from '../common/work-signals.js';
import { CONFIG, type Config } from '../config/config.js';
import { AllocationEnforcer } from './allocation-enforcer.js';
import { AllocationNotices } from './notifications/allocation-notices.js';
import { NotificationOutbox } from './notifications/notification-outbox.js';
import { UsageLedger } from './usage-ledger.js';

/** On SKYPOOL_CHARGE_CRON: charge run time to budgets, enforce allocations that ended, tell of allocations ending, prune old notifications. */
@Injectable()
export class AccountingScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: SerialTask;
  private schedule?: ScheduledTask;

  constructor(
    private readonly ledger: UsageLedger,
    private readonly enforcer: AllocationEnforcer,
    private readonly allocationNotices: AllocationNotices,
    private readonly outbox: NotificationOutbox,
    private readonly signals: WorkSignals,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new SerialTask(() => this.pass(), (err) => this.logger.error({ err }, 'charge pass failed'));
  }

  onApplicationBootstrap(): void {
    this.schedule = cron.schedule(this.config.SKYPOOL_CHARGE_CRON, () => this.task.trigger(), { name: 'charge', noOverlap: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.schedule?.destroy();
    await this.task.stop();
  }

  /** One pass now (tests, and the operations API). */
  run(): Promise<void> {
    return this.task.trigger();
  }

  private async pass(): Promise<void> {
    await this.ledger.chargeAll();
    if (await this.enforcer.enforceAll()) this.signals.emit('terminations-ready');
    await this.allocationNotices.notifyAll();
    await this.outbox.prune();
  }
}
