import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, type EntityManager } from 'typeorm';
import { Allocation } from '../allocations/entities/allocation.entity.js';
import { allocationLifecycle, allocationLifecycleOf } from '../allocations/allocation-lifecycle.js';
import { Project } from '../allocations/entities/project.entity.js';
import { decayed } from '../allocator/fair-share.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { budgetLeft, chargeDue, chooseAllocation, newlyExhausted, spend, type Budget, type Charge } from './charges.js';
import { UsageRecord } from './entities/usage-record.entity.js';

/** Instances charged per transaction, so a large federation never holds one long transaction. */
const BATCH = 500;

const MINUTE_MS = 60_000;

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
    const added = new Map<string, number>();
    let charged = 0;
    for (const instance of instances) {
      const charge = chargeDue(instance, now);
      if (!charge) continue;
      const budget = chooseAllocation(budgets.get(instance.projectId) ?? []);
      await this.record(manager, instance, budget?.allocation.id ?? null, charge);
      if (budget) spend(budget, charge);
      await manager.getRepository(Instance).update(instance.id, { chargedMinutes: instance.chargedMinutes + charge.minutes });
      added.set(instance.projectId, (added.get(instance.projectId) ?? 0) + charge.vcpuMinutes);
      charged++;
    }
    for (const project of projects) {
      const vcpuMinutes = added.get(project.id);
      if (vcpuMinutes === undefined) continue;
      const hours = project.usageDecayedAt ? (now.getTime() - project.usageDecayedAt.getTime()) / 3_600_000 : 0;
      // the fair-share score is a float in core-hours: it orders projects, it is not money
      const usage = decayed(project.decayedUsage, hours, this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS) + vcpuMinutes / 60;
      await manager.getRepository(Project).update(project.id, { decayedUsage: usage, usageDecayedAt: now });
    }
    await this.markExhausted(manager, [...budgets.values()].flat(), now);
    return charged;
  }

  /** The projects' allocations in force now, soonest-ending first, with their budgets left. */
  private async budgetsInForce(manager: EntityManager, projectIds: string[], now: Date): Promise<Map<string, Budget[]>> {
    const allocations = await manager
      .getRepository(Allocation)
      .createQueryBuilder('a')
      .where('a.project_id = ANY(:projectIds)', { projectIds })
      .andWhere('a.revoked_at IS NULL')
      .andWhere('(a.starts_at IS NULL OR a.starts_at <= :now)', { now })
      .andWhere('(a.ends_at IS NULL OR a.ends_at > :now)', { now })
      .orderBy('a.ends_at', 'ASC', 'NULLS LAST')
      .addOrderBy('a.created_at', 'ASC')
      .getMany();
    const charged: { allocation_id: string; vcpu_minutes: string; gpu_minutes: string }[] = allocations.length
      ? await manager.query(`SELECT allocation_id, sum(vcpu_minutes) AS vcpu_minutes, sum(gpu_minutes) AS gpu_minutes FROM usage_record WHERE allocation_id = ANY($1) GROUP BY allocation_id`, [
          allocations.map((a) => a.id),
        ])
      : [];
    const spent = new Map(charged.map((c) => [c.allocation_id, c]));
    const byProject = new Map<string, Budget[]>();
    for (const allocation of allocations) {
      const used = spent.get(allocation.id);
      const budget = budgetLeft(allocation, { vcpuMinutes: Number(used?.vcpu_minutes ?? 0), gpuMinutes: Number(used?.gpu_minutes ?? 0) });
      byProject.set(allocation.projectId, [...(byProject.get(allocation.projectId) ?? []), budget]);
    }
    return byProject;
  }

  /** One row per instance and allocation, grown by each charge. */
  private async record(manager: EntityManager, instance: Instance, allocationId: string | null, charge: Charge): Promise<void> {
    const repo = manager.getRepository(UsageRecord);
    const existing = await repo
      .createQueryBuilder('u')
      .where('u.instance_id = :instanceId', { instanceId: instance.id })
      .andWhere('u.allocation_id IS NOT DISTINCT FROM :allocationId', { allocationId })
      .getOne();
    if (existing) {
      await repo.update(existing.id, {
        minutes: existing.minutes + charge.minutes,
        vcpuMinutes: existing.vcpuMinutes + charge.vcpuMinutes,
        gpuMinutes: existing.gpuMinutes + charge.gpuMinutes,
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
      minutes: charge.minutes,
      vcpuMinutes: charge.vcpuMinutes,
      gpuMinutes: charge.gpuMinutes,
      periodStart,
      periodEnd: charge.until,
    });
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
