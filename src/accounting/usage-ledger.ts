import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, type EntityManager } from 'typeorm';
import { allocationsInTerm } from '../allocations/allocations-in-force.js';
import { Allocation } from '../allocations/entities/allocation.entity.js';
import { allocationLifecycle, allocationLifecycleOf } from '../allocations/allocation-lifecycle.js';
import { Project } from '../allocations/entities/project.entity.js';
import { decayedUsageAt } from '../allocator/core/fair-share.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { groupBy } from '../common/group-by.js';
import { LOGGER } from '../common/logging.js';
import { Notifier } from '../common/notifier.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { Site } from '../sites/entities/site.entity.js';
import { budgetLeft, chargeDue, chooseAllocation, MINUTE_MS, newlyExhausted, spend, thresholdsCrossed, usedPercent, type Budget, type Charge } from './charges.js';
import { UsageRecord } from './entities/usage-record.entity.js';

/** Instances charged per transaction, so a large federation never holds one long transaction. */
const BATCH = 500;

/** What a new usage record keeps beside the instance: its image and whose it was. */
interface RecordFacts {
  imageOfRequest: Map<string, string>;
  institutionOfSite: Map<string, string>;
  institutionOfProject: Map<string, string>;
}

/**
 * Charges run time to budgets, per started minute: each instance's minutes since it started
 * (until it ended) less what was charged before, in one transaction with the instance row
 * locked, so every minute is charged exactly once however often or by however many broker
 * processes this runs. Each charge also adds to the project's decayed fair-share usage.
 */
@Injectable()
export class UsageLedger {
  constructor(
    private readonly db: Db,
    @Inject(CONFIG) private readonly config: Config,
    private readonly notifier: Notifier,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Charges every instance with uncharged run time; returns how many instances were charged. */
  async chargeAll(): Promise<number> {
    const now = this.clock.now();
    const due: { id: string }[] = await this.db.manager.query(
      `SELECT id FROM instance
        WHERE started_at IS NOT NULL
          AND charged_minutes < ceil(extract(epoch FROM least(coalesce(ended_at, $1), $1) - started_at) / 60)`,
      [now],
    );
    let charged = 0;
    for (let i = 0; i < due.length; i += BATCH) {
      charged += await this.db.transaction((manager) => this.chargeBatch(manager, due.slice(i, i + BATCH).map((d) => d.id), now));
    }
    if (charged > 0) this.logger.debug({ instances: charged }, 'run time charged');
    return charged;
  }

  private async chargeBatch(manager: EntityManager, ids: string[], now: Date): Promise<number> {
    const instances = await manager.getRepository(Instance).find({ where: { id: In(ids) }, order: { projectId: 'ASC', id: 'ASC' }, lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' } });
    const projectIds = [...new Set(instances.map((i) => i.projectId))];
    if (projectIds.length === 0) return 0;
    const projects = await manager.getRepository(Project).find({ where: { id: In(projectIds) }, order: { id: 'ASC' }, lock: { mode: 'pessimistic_write' } });
    const budgets = await this.budgetsInForce(manager, projectIds, now);
    const usedBefore = new Map([...budgets.values()].flat().map((b) => [b, usedPercent(b)]));
    const records = await this.latestRecordsOf(manager, instances);
    const facts = await this.factsOf(manager, instances, projects);
    const added = new Map<string, number>();
    let charged = 0;
    for (const instance of instances) {
      const charge = chargeDue(instance, now);
      if (!charge) continue;
      const budget = chooseAllocation(budgets.get(instance.projectId) ?? []);
      await this.record(manager, records.get(instance.id), facts, instance, budget?.allocation.id ?? null, charge);
      if (budget) spend(budget, charge);
      await manager.getRepository(Instance).update(instance.id, { chargedMinutes: instance.chargedMinutes + charge.minutes });
      added.set(instance.projectId, (added.get(instance.projectId) ?? 0) + charge.vcpuMinutes);
      charged++;
    }
    for (const project of projects) {
      const vcpuMinutes = added.get(project.id);
      if (vcpuMinutes === undefined) continue;
      // the fair-share score is a float in core-hours: it orders projects, it is not money
      const usage = decayedUsageAt(project.decayedUsage, project.usageDecayedAt, now, this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS) + vcpuMinutes / 60;
      await manager.getRepository(Project).update(project.id, { decayedUsage: usage, usageDecayedAt: now });
    }
    await this.markExhausted(manager, [...budgets.values()].flat(), now);
    await this.notifyThresholds(manager, usedBefore, projects);
    return charged;
  }

  /** The projects' allocations in their term now, soonest-ending first, with their budgets left (spent ones too: see chooseAllocation). */
  private async budgetsInForce(manager: EntityManager, projectIds: string[], now: Date): Promise<Map<string, Budget[]>> {
    const inTerm = await allocationsInTerm(manager, projectIds, now);
    const budgets = inTerm.map(({ allocation, chargedVcpuMinutes, chargedGpuMinutes }) => budgetLeft(allocation, { vcpuMinutes: chargedVcpuMinutes, gpuMinutes: chargedGpuMinutes }));
    return groupBy(budgets, (b) => b.allocation.projectId);
  }

  /** Each instance's latest usage record (the stretch a charge may grow): one query for the batch. */
  private async latestRecordsOf(manager: EntityManager, instances: Instance[]): Promise<Map<string, UsageRecord>> {
    const rows = await manager.getRepository(UsageRecord).find({ where: { instanceId: In(instances.map((i) => i.id)) }, order: { periodStart: 'ASC' } });
    return new Map(rows.map((r) => [r.instanceId, r]));
  }

  /** The images of the instances' requests and the institutions of their sites and projects, for new records. */
  private async factsOf(manager: EntityManager, instances: Instance[], projects: Project[]): Promise<RecordFacts> {
    const requests = await manager.getRepository(ResourceRequest).find({ select: { id: true, image: true }, where: { id: In([...new Set(instances.map((i) => i.requestId))]) } });
    const sites = await manager.getRepository(Site).find({ select: { id: true, institution: true }, where: { id: In([...new Set(instances.map((i) => i.siteId))]) } });
    return {
      imageOfRequest: new Map(requests.map((r) => [r.id, r.image])),
      institutionOfSite: new Map(sites.map((s) => [s.id, s.institution])),
      institutionOfProject: new Map(projects.map((p) => [p.id, p.institution])),
    };
  }

  /**
   * Grows the instance's latest record when the charge goes to the same allocation, else starts a
   * new one: each record is one unbroken stretch of the instance's minutes.
   */
  private async record(manager: EntityManager, latest: UsageRecord | undefined, facts: RecordFacts, instance: Instance, allocationId: string | null, charge: Charge): Promise<void> {
    const repo = manager.getRepository(UsageRecord);
    if (latest && latest.allocationId === allocationId) {
      await repo.update(latest.id, {
        minutes: latest.minutes + charge.minutes,
        vcpuMinutes: latest.vcpuMinutes + charge.vcpuMinutes,
        gpuMinutes: latest.gpuMinutes + charge.gpuMinutes,
        periodEnd: charge.until,
      });
      return;
    }
    const periodStart = new Date(instance.startedAt!.getTime() + instance.chargedMinutes * MINUTE_MS);
    await repo.insert({
      projectId: instance.projectId,
      allocationId,
      instanceId: instance.id,
      requestId: instance.requestId,
      siteId: instance.siteId,
      siteInstitution: facts.institutionOfSite.get(instance.siteId)!,
      projectInstitution: facts.institutionOfProject.get(instance.projectId)!,
      image: facts.imageOfRequest.get(instance.requestId)!,
      instanceType: instance.instanceType,
      vcpus: instance.vcpus,
      gpus: instance.gpus,
      memoryMib: instance.memoryMib,
      minutes: charge.minutes,
      vcpuMinutes: charge.vcpuMinutes,
      gpuMinutes: charge.gpuMinutes,
      periodStart,
      periodEnd: charge.until,
    });
  }

  /** Tells each project of the budget thresholds its allocations crossed in this charge (once each: the key says which). */
  private async notifyThresholds(manager: EntityManager, usedBefore: Map<Budget, number>, projects: Project[]): Promise<void> {
    const names = new Map(projects.map((p) => [p.id, p.name]));
    for (const [budget, before] of usedBefore) {
      const after = usedPercent(budget);
      const { allocation } = budget;
      for (const threshold of thresholdsCrossed(before, after)) {
        await this.notifier.notify(manager, {
          kind: threshold.kind,
          projectId: allocation.projectId,
          subject: `project ${names.get(allocation.projectId) ?? allocation.projectId}: ${Math.floor(after)}% of the budget of allocation ${allocation.id} is used`,
          details: { allocationId: allocation.id, usedPercent: after, coreHours: allocation.coreHours, coreHoursLeft: budget.vcpuMinutesLeft / 60, gpuHours: allocation.gpuHours, gpuHoursLeft: budget.gpuMinutesLeft / 60 },
          dedupeKey: `budget:${allocation.id}:${threshold.percent}`,
        });
      }
    }
  }

  /** Allocations whose budget this charge used up: they stop counting, and their end policy starts. */
  private async markExhausted(manager: EntityManager, budgets: Budget[], now: Date): Promise<void> {
    const spent = budgets.filter(newlyExhausted);
    if (spent.length === 0) return;
    for (const b of spent) allocationLifecycle.assertTransition(allocationLifecycleOf(b.allocation, now), 'ENDED');
    await manager.getRepository(Allocation).update({ id: In(spent.map((b) => b.allocation.id)) }, { exhaustedAt: now });
    for (const b of spent) this.logger.info({ allocationId: b.allocation.id, projectId: b.allocation.projectId }, 'allocation budget used up');
  }
}
