import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { In, type EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { SerialTask } from '../common/serial-task.js';
import { WorkSignals } from '../common/work-signals.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';
import { WAITING_STATES } from '../requests/request-state.js';
import { tryAllocatorLock } from '../database/allocator-lock.js';
import { allocate } from './allocator.js';
import type { WaitingRequest } from './allocator.types.js';
import { loadProjectStates, loadSiteStates } from './federation-state.js';
import { AllocatorMetrics } from './allocator.metrics.js';

/**
 * Feeds the pure allocator: reads waiting requests and the federation's state, decides, and
 * writes the placements (instance rows that hold quota and capacity) in the same transaction.
 * One cycle at a time: in-process by the SerialTask, across broker processes by a PostgreSQL
 * advisory lock (the embedded database serves one process, so the first suffices there).
 */
@Injectable()
export class AllocatorCycleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: SerialTask;
  private schedule?: ScheduledTask;

  constructor(
    private readonly db: Db,
    private readonly lifecycle: RequestLifecycle,
    private readonly signals: WorkSignals,
    private readonly metrics: AllocatorMetrics,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new SerialTask(() => this.cycle(), (err) => this.logger.error({ err }, 'allocator cycle failed'));
  }

  onApplicationBootstrap(): void {
    this.signals.on('requests-waiting', () => void this.task.trigger());
    this.schedule = cron.schedule(this.config.SKYPOOL_ALLOCATOR_CRON, () => this.task.trigger(), { name: 'allocator', noOverlap: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.schedule?.destroy();
    await this.task.stop();
  }

  /** Runs a cycle now (or waits for the one running, plus one more). */
  run(): Promise<void> {
    return this.task.trigger();
  }

  private async cycle(): Promise<void> {
    const started = process.hrtime.bigint();
    const outcome = await this.db.transaction(async (manager) => {
      if (!(await tryAllocatorLock(manager))) return undefined; // another broker process is running the cycle
      return this.decideAndWrite(manager);
    });
    if (!outcome) return;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.record(seconds, outcome.considered, outcome.placed);
    if (outcome.placed > 0) {
      this.logger.info({ considered: outcome.considered, placed: outcome.placed, seconds }, 'allocator cycle placed requests');
      this.signals.emit('placements-ready');
    }
  }

  private async decideAndWrite(manager: EntityManager): Promise<{ considered: number; placed: number }> {
    const waiting = await manager.getRepository(ResourceRequest).find({
      where: { state: In(WAITING_STATES) },
      order: { createdAt: 'ASC', id: 'ASC' },
      lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' },
    });
    if (waiting.length === 0) return { considered: 0, placed: 0 };
    const now = this.clock.now();
    const sites = await loadSiteStates(manager);
    const projects = await loadProjectStates(manager, now);
    const requests: WaitingRequest[] = waiting.map((r) => ({ ...r, memoryMiB: r.memoryMib }));
    const byId = new Map(waiting.map((r) => [r.id, r]));
    let placed = 0;
    for (const decision of allocate({ sites, projects, requests })) {
      const request = byId.get(decision.requestId)!;
      if (decision.kind === 'wait') {
        if (request.state !== 'QUEUED' || request.reason !== decision.reason) {
          await this.lifecycle.moveRequest(manager, request, 'QUEUED', { reason: decision.reason, reasonCode: decision.reasonCode });
        }
        continue;
      }
      const attempt = request.attempt + 1;
      const type = decision.instanceType;
      const rows = Array.from({ length: decision.count }, () => ({
        requestId: request.id,
        projectId: request.projectId,
        siteId: decision.siteId,
        attempt,
        instanceType: type.name,
        vcpus: type.vcpus,
        memoryMib: type.memoryMiB,
        gpus: type.gpus,
        state: 'REQUESTED' as const,
      }));
      await manager.getRepository(Instance).insert(rows);
      const site = sites.find((s) => s.id === decision.siteId)!;
      await this.lifecycle.moveRequest(manager, request, 'PROVISIONING', { reason: `starting ${decision.count} x ${type.name} at ${site.name}`, attempt });
      placed++;
    }
    return { considered: waiting.length, placed };
  }
}
