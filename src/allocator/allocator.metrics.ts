import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '../common/metrics.js';

/** HTCondor-negotiator-style figures of each allocator cycle. */
@Injectable()
export class AllocatorMetrics {
  private readonly duration: Histogram;
  private readonly considered: Gauge;
  private readonly matches: Counter;
  private readonly matchRate: Gauge;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.duration = new Histogram({ name: 'skypool_allocator_cycle_seconds', help: 'duration of an allocator cycle', buckets: [0.005, 0.02, 0.1, 0.5, 2, 10], registers });
    this.considered = new Gauge({ name: 'skypool_allocator_requests_considered', help: 'waiting requests considered in the last cycle', registers });
    this.matches = new Counter({ name: 'skypool_allocator_matches_total', help: 'requests placed on a site', registers });
    this.matchRate = new Gauge({ name: 'skypool_allocator_match_rate', help: 'share of the considered requests placed in the last cycle', registers });
  }

  record(seconds: number, considered: number, placed: number): void {
    this.duration.observe(seconds);
    this.considered.set(considered);
    this.matches.inc(placed);
    this.matchRate.set(considered === 0 ? 0 : placed / considered);
  }
}
