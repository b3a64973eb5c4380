import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logging.js';
import { SerialTask } from '../common/serial-task.js';
import { CONFIG, type Config } from '../config/config.js';
import { WorkerPoolsService } from './worker-pools.service.js';

/** On SKYPOOL_POOL_CRON, and at once after a pool changes: keeps every pool at its desired size. */
@Injectable()
export class WorkerPoolKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: SerialTask;
  private schedule?: ScheduledTask;

  constructor(
    private readonly pools: WorkerPoolsService,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new SerialTask(() => this.pass(), (err) => this.logger.error({ err }, 'worker pool pass failed'));
  }

  onApplicationBootstrap(): void {
    this.schedule = cron.schedule(this.config.SKYPOOL_POOL_CRON, () => void this.task.trigger(), { name: 'worker-pools', noOverlap: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.schedule?.destroy();
    await this.task.stop();
  }

  /** A pass soon, without waiting for it (after a pool was made, resized or deleted). */
  nudge(): void {
    void this.task.trigger();
  }

  private async pass(): Promise<void> {
    for (const pool of await this.pools.poolsToKeep()) {
      try {
        await this.pools.keep(pool);
      } catch (err) {
        // one pool's trouble (its project gone, say) must not starve the others
        this.logger.warn({ err, poolId: pool.id }, 'worker pool could not be kept');
      }
    }
  }
}
