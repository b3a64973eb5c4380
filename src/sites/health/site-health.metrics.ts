import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from '../../common/metrics.js';
import type { ComputeErrorCategory } from '../../compute/compute-driver.js';
import type { Site, SiteHealth } from '../entities/site.entity.js';

const STATES: SiteHealth[] = ['UNKNOWN', 'HEALTHY', 'DEGRADED', 'DOWN'];
// From a record of every category, so that forget() cannot miss one added later.
const CATEGORIES = Object.keys({ capacity: 0, throttling: 0, permanent: 0, auth: 0, transient: 0, malformed: 0 } satisfies Record<ComputeErrorCategory, 0>);

/** Each site's health for Prometheus: one series per state (1 for the current one), latency and failures. */
@Injectable()
export class SiteHealthMetrics {
  private readonly health: Gauge;
  private readonly latency: Gauge;
  private readonly failures: Counter;
  private readonly circuitOpen: Gauge;
  private readonly malformed: Counter;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.health = new Gauge({ name: 'skypool_site_health', help: 'site health: 1 for the current state', labelNames: ['site', 'state'], registers });
    this.latency = new Gauge({ name: 'skypool_site_probe_latency_seconds', help: 'latency of the last successful probe', labelNames: ['site'], registers });
    this.failures = new Counter({ name: 'skypool_site_call_failures_total', help: 'failed calls to a site, by category', labelNames: ['site', 'category'], registers });
    this.circuitOpen = new Gauge({ name: 'skypool_site_circuit_open', help: '1 while the site is DOWN and gets no placements', labelNames: ['site'], registers });
    this.malformed = new Counter({ name: 'skypool_site_malformed_replies_total', help: 'successful answers from a site that the broker could not read (not counted as failures)', labelNames: ['site'], registers });
  }

  malformedReply(site: Pick<Site, 'name'>): void {
    this.malformed.inc({ site: site.name });
  }

  record(site: Site, outcome: { ok: boolean; category?: ComputeErrorCategory; latencyMs: number | null }): void {
    for (const state of STATES) this.health.set({ site: site.name, state }, site.health === state ? 1 : 0);
    this.circuitOpen.set({ site: site.name }, site.health === 'DOWN' ? 1 : 0);
    if (outcome.ok && outcome.latencyMs !== null) this.latency.set({ site: site.name }, outcome.latencyMs / 1000);
    if (!outcome.ok) this.failures.inc({ site: site.name, category: outcome.category ?? 'transient' });
  }

  forget(site: Site): void {
    for (const state of STATES) this.health.remove({ site: site.name, state });
    this.circuitOpen.remove({ site: site.name });
    this.latency.remove({ site: site.name });
    for (const category of CATEGORIES) this.failures.remove({ site: site.name, category });
    this.malformed.remove({ site: site.name });
  }
}
