import { describe, expect, it } from '@jest/globals';
import { MetricsRegistry } from '../../common/metrics.js';
import type { Site } from '../entities/site.entity.js';
import { SiteHealthMetrics } from './site-health.metrics.js';

describe('site health metrics', () => {
  it('forget() takes every series of the site out of /metrics, its failures of every category too, and leaves the others', async () => {
    const metrics = new MetricsRegistry();
    const health = new SiteHealthMetrics(metrics);
    const removed = { name: 'removed-site', health: 'DEGRADED' } as Site;
    const kept = { name: 'kept-site', health: 'DEGRADED' } as Site;
    for (const category of ['transient', 'auth', 'capacity'] as const) health.record(removed, { ok: false, category, latencyMs: null });
    health.record(removed, { ok: true, latencyMs: 20 });
    health.record(kept, { ok: false, category: 'transient', latencyMs: null });
    health.malformedReply(removed);
    expect(await metrics.registry.metrics()).toContain('skypool_site_call_failures_total{site="removed-site",category="auth"} 1');
    expect(await metrics.registry.metrics()).toContain('skypool_site_malformed_replies_total{site="removed-site"} 1');

    health.forget(removed);
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('removed-site');
    expect(text).toContain('skypool_site_call_failures_total{site="kept-site",category="transient"} 1');
  });

  it('replies that cannot be read are counted apart from failures', async () => {
    const metrics = new MetricsRegistry();
    const health = new SiteHealthMetrics(metrics);
    const site = { name: 'old-dialect', health: 'HEALTHY' } as Site;
    health.malformedReply(site);
    health.malformedReply(site);
    const text = await metrics.registry.metrics();
    expect(text).toContain('skypool_site_malformed_replies_total{site="old-dialect"} 2');
    expect(text).not.toMatch(/skypool_site_call_failures_total\{site="old-dialect"/);
  });
});
