import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { SerialTask } from '../common/serial-task.js';
import { WorkSignals } from '../common/work-signals.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { tryAllocatorLock } from '../database/allocator-lock.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { RequestLifecycle, type PlacedInstance } from '../requests/request-lifecycle.js';
import { RequestUpdates } from '../requests/request-updates.js';
import { loadFederationState } from '../requests/federation-state.js';
import { waitingRequestsOf } from '../requests/waiting-requests.js';
import { allocatorPolicyOf } from '../requests/gang-reservation.js';
import { allocate } from './core/allocator.js';
import type { Decision, Placement, Reservation, SiteState } from './core/allocator.types.js';
import { AllocatorMetrics } from './allocator.metrics.js';

type Move = Parameters<RequestLifecycle['moveRequests']>[1][number];

/** Instance rows per INSERT statement. */
const INSERT_BATCH = 1000;

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
  private debounce?: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly lifecycle: RequestLifecycle,
    private readonly updates: RequestUpdates,
    private readonly signals: WorkSignals,
    private readonly metrics: AllocatorMetrics,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new SerialTask(() => this.cycle(), (err) => this.logger.error({ err }, 'allocator cycle failed'));
  }

  onApplicationBootstrap(): void {
    this.signals.on('requests-waiting', () => this.soon());
    this.schedule = cron.schedule(this.config.SKYPOOL_ALLOCATOR_CRON, () => this.task.trigger(), { name: 'allocator', noOverlap: true });
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.debounce);
    await this.schedule?.destroy();
    await this.task.stop();
  }

  /** A burst of submissions is decided in one cycle, shortly after the first. */
  private soon(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.task.trigger();
    }, this.config.SKYPOOL_ALLOCATOR_DEBOUNCE_MS);
  }

  /** Runs a cycle now (or waits for the one running, plus one more). */
  run(): Promise<void> {
    return this.task.trigger();
  }

  private async cycle(): Promise<void> {
    const started = process.hrtime.bigint();
    const outcome = await this.db.transaction(async (manager) => {
      if (!(await tryAllocatorLock(manager))) return undefined; // another broker process is running the cycle
      const decided = await this.decideAndWrite(manager);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await this.recordFigures(manager, seconds, decided);
      return { ...decided, seconds };
    });
    if (!outcome) {
      // another broker process is deciding; what was submitted here since it read the waiting
      // requests would wait for the schedule: try again shortly after, as after a submission
      this.soon();
      return;
    }
    this.metrics.record(outcome.seconds, outcome.considered, outcome.placed);
    if (outcome.placed > 0) {
      this.logger.info({ considered: outcome.considered, placed: outcome.placed, seconds: outcome.seconds }, 'allocator cycle placed requests');
      this.signals.emit('placements-ready');
    }
  }

  private async recordFigures(manager: EntityManager, seconds: number, decided: { considered: number; placed: number }): Promise<void> {
    await manager.query(
      `INSERT INTO allocator_cycle (id, finished_at, duration_seconds, considered, matched, cycles) VALUES (1, $1, $2, $3, $4, 1)
       ON CONFLICT (id) DO UPDATE SET finished_at = $1, duration_seconds = $2, considered = $3, matched = $4, cycles = allocator_cycle.cycles + 1`,
      [this.clock.now(), seconds, decided.considered, decided.placed],
    );
  }

  private async decideAndWrite(manager: EntityManager): Promise<{ considered: number; placed: number }> {
    const now = this.clock.now();
    const waiting = await waitingRequestsOf(manager, now, this.config.SKYPOOL_COOL_DOWN_MINUTES);
    if (waiting.length === 0) return { considered: 0, placed: 0 };
    const federation = await loadFederationState(manager, now, this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS);
    const sites = federation.sites.map((s) => s.state);
    const decisions = allocate({ sites, projects: federation.projects, requests: waiting.map((w) => w.waiting), policy: allocatorPolicyOf(this.config), now });
    const siteById = new Map(sites.map((s) => [s.id, s]));
    const rows: PlacedInstance[] = [];
    const moves: Move[] = [];
    let placed = 0;
    for (const [i, decision] of decisions.entries()) {
      const { request, held } = waiting[i]!;
      if (decision.kind === 'wait') {
        await this.recordWait(manager, request, held, decision, moves);
        if (decision.reservation) await this.recordReservation(manager, request, decision.reservation);
      } else {
        rows.push(...(await this.place(manager, request, decision.placements, siteById, moves)));
        placed++;
      }
    }
    // a cycle may decide thousands of requests: their moves and instance rows go in a few statements
    await this.lifecycle.moveRequests(manager, moves);
    for (let i = 0; i < rows.length; i += INSERT_BATCH) await this.lifecycle.placeInstances(manager, rows.slice(i, i + INSERT_BATCH));
    return { considered: waiting.length, placed };
  }

  /** A waiting request gets the reason; a running one that waits for more instances keeps its state. */
  private async recordWait(manager: EntityManager, request: ResourceRequest, held: number, wait: Extract<Decision, { kind: 'wait' }>, moves: Move[]): Promise<void> {
    if (request.state === 'RUNNING') {
      const reason = `${held} of ${request.count} running; the rest wait: ${wait.reason}`;
      if (request.reason !== reason) {
        await manager.getRepository(ResourceRequest).update(request.id, { reason, reasonCode: wait.reasonCode });
        this.updates.changed(manager, request.id);
      }
      return;
    }
    if (request.state !== 'QUEUED' || request.reason !== wait.reason || request.reasonCode !== wait.reasonCode) {
      moves.push({ request, to: 'QUEUED', detail: { reason: wait.reason, reasonCode: wait.reasonCode } });
    }
  }

  /** Keeps since when and where capacity is held for the gang: the next cycle holds it at the same sites, and no longer than the policy allows. */
  private async recordReservation(manager: EntityManager, request: ResourceRequest, reservation: Reservation): Promise<void> {
    const siteIds = reservation.held.map((h) => h.siteId);
    if (request.reservedSince?.getTime() === reservation.since.getTime() && request.reservedSiteIds?.join() === siteIds.join()) return;
    if (!request.reservedSince) {
      this.logger.info({ requestId: request.id, projectId: request.projectId, sites: siteIds, until: reservation.until }, 'capacity held for a gang that has waited longest');
    }
    await manager.getRepository(ResourceRequest).update(request.id, { reservedSince: reservation.since, reservedSiteIds: siteIds });
  }

  /** Moves the request on and returns the instance rows to insert for its placements. */
  private async place(manager: EntityManager, request: ResourceRequest, placements: Placement[], siteById: Map<string, SiteState>, moves: Move[]): Promise<PlacedInstance[]> {
    const attempt = request.attempt + 1;
    const rows = placements.flatMap((p) =>
      Array.from({ length: p.count }, (_, n) => ({
        requestId: request.id,
        projectId: request.projectId,
        siteId: p.siteId,
        attempt,
        instanceType: p.instanceType.name,
        vcpus: p.instanceType.vcpus,
        memoryMib: p.instanceType.memoryMiB,
        gpus: p.instanceType.gpus,
        // the last ones of a placement are the ones beyond the pooled part
        borrowed: n >= p.count - p.borrowed,
        // more instances for a running request end with its lease
        leaseEndsAt: request.state === 'RUNNING' ? request.leaseEndsAt : null,
      })),
    );
    const where = placements.map((p) => `${p.count} x ${p.instanceType.name} at ${siteById.get(p.siteId)!.name}${p.borrowed ? ` (${p.borrowed} on borrowed home share)` : ''}`).join(', ');
    if (request.state === 'RUNNING') {
      await manager.getRepository(ResourceRequest).update(request.id, { attempt, reason: `starting ${where} more` });
      this.updates.changed(manager, request.id);
      request.attempt = attempt;
      this.logger.info({ requestId: request.id, projectId: request.projectId, attempt, placements: where }, 'more instances placed for a running request');
      return rows;
    }
    moves.push({ request, to: 'PROVISIONING', detail: { reason: `starting ${where}`, attempt } });
    return rows;
  }
}
