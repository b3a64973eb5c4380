import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { allocationsInTerm } from '../allocations/allocations-in-force.js';
import { ProjectsService } from '../allocations/projects.service.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { MetricsRegistry } from '../common/metrics.js';
import { Db } from '../database/db.js';
import { SitesService } from '../sites/sites.service.js';
import { budgetLeft } from './charges.js';

/** A scrape reads the ledger at most this often; scrapes in between (or at once) share one reading. */
const READING_TTL_MS = 15_000;

interface Reading {
  coreHours: { project: string; site: string; hours: number }[];
  budgetsLeft: { project: string; coreHours: number | null; gpuHours: number | null }[];
}

/**
 * Usage on /metrics, read from the ledger when scraped: core-hours charged per project and site
 * (a counter that survives restarts, since the ledger does; every broker process reports the
 * federation's totals, so take `max`, not `sum`, across them), and each project's budgets left
 * in the allocations in their term (negative once overspent).
 */
@Injectable()
export class UsageMetrics {
  private reading?: { at: number; value: Promise<Reading> };

  constructor(
    metrics: MetricsRegistry,
    private readonly db: Db,
    private readonly projects: ProjectsService,
    private readonly sites: SitesService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    const registers = [metrics.registry];
    const read = () => this.read();
    new Counter({
      name: 'skypool_usage_core_hours_total',
      help: 'core-hours charged (per started minute) per project and site, from the ledger',
      labelNames: ['project', 'site'],
      registers,
      async collect() {
        const { coreHours } = await read();
        this.reset();
        for (const { project, site, hours } of coreHours) this.inc({ project, site }, hours);
      },
    });
    new Gauge({
      name: 'skypool_budget_core_hours_left',
      help: "core-hours left in the project's allocations in their term that have a core-hour budget",
      labelNames: ['project'],
      registers,
      async collect() {
        const { budgetsLeft } = await read();
        this.reset();
        for (const b of budgetsLeft) if (b.coreHours !== null) this.set({ project: b.project }, b.coreHours);
      },
    });
    new Gauge({
      name: 'skypool_budget_gpu_hours_left',
      help: "GPU-hours left in the project's allocations in their term that have a GPU-hour budget",
      labelNames: ['project'],
      registers,
      async collect() {
        const { budgetsLeft } = await read();
        this.reset();
        for (const b of budgetsLeft) if (b.gpuHours !== null) this.set({ project: b.project }, b.gpuHours);
      },
    });
  }

  private read(): Promise<Reading> {
    const now = Date.now();
    if (!this.reading || now - this.reading.at > READING_TTL_MS) {
      const value = this.readLedger();
      // a failed reading is not kept: the next scrape tries again
      value.catch(() => (this.reading = undefined));
      this.reading = { at: now, value };
    }
    return this.reading.value;
  }

  private async readLedger(): Promise<Reading> {
    const manager = this.db.manager;
    const charged: { project_id: string; site_id: string; vcpu_minutes: string }[] = await manager.query(
      'SELECT project_id, site_id, sum(vcpu_minutes) AS vcpu_minutes FROM usage_record GROUP BY project_id, site_id',
    );
    const inTerm = await allocationsInTerm(manager, null, this.clock.now());
    const projectIds = [...new Set([...charged.map((c) => c.project_id), ...inTerm.map((a) => a.allocation.projectId)])];
    const projectNames = new Map((await this.projects.findByIds(projectIds)).map((p) => [p.id, p.name]));
    const siteNames = new Map((await this.sites.findByIds([...new Set(charged.map((c) => c.site_id))])).map((s) => [s.id, s.name]));
    const left = new Map<string, { coreMinutes: number | null; gpuMinutes: number | null }>();
    for (const { allocation, chargedVcpuMinutes, chargedGpuMinutes } of inTerm) {
      const budget = budgetLeft(allocation, { vcpuMinutes: chargedVcpuMinutes, gpuMinutes: chargedGpuMinutes });
      const sums = left.get(allocation.projectId) ?? { coreMinutes: null, gpuMinutes: null };
      if (allocation.coreHours !== null) sums.coreMinutes = (sums.coreMinutes ?? 0) + budget.vcpuMinutesLeft;
      if (allocation.gpuHours !== null) sums.gpuMinutes = (sums.gpuMinutes ?? 0) + budget.gpuMinutesLeft;
      left.set(allocation.projectId, sums);
    }
    const hours = (minutes: number | null) => (minutes === null ? null : minutes / 60);
    return {
      coreHours: charged.map((c) => ({ project: projectNames.get(c.project_id) ?? c.project_id, site: siteNames.get(c.site_id) ?? c.site_id, hours: Number(c.vcpu_minutes) / 60 })),
      budgetsLeft: [...left].map(([projectId, sums]) => ({ project: projectNames.get(projectId) ?? projectId, coreHours: hours(sums.coreMinutes), gpuHours: hours(sums.gpuMinutes) })),
    };
  }
}
