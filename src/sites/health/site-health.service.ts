import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { withinDeadline } from '../../common/deadline.js';
import { LOGGER } from '../../common/logging.js';
import { Notifier } from '../../common/notifier.js';
import { ComputeError, type SiteConnection } from '../../compute/compute-driver.js';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../../compute/compute.tokens.js';
import { toComputeError } from '../../compute/ec2-errors.js';
import { CONFIG, type Config } from '../../config/config.js';
import { Db } from '../../database/db.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../../database/deployment.service.js';
import { Site } from '../entities/site.entity.js';
import { TAG_BROKER } from '../../compute/site-tags.js';
import type { SiteSpec } from '../site-spec.js';
import { SitesService } from '../sites.service.js';
import { missingOfferings, nextHealth, type CallOutcome, type HealthPolicy } from './site-health.js';
import { SiteHealthMetrics } from './site-health.metrics.js';

/** What a probe needs of a site: how to reach it, and what it should offer. */
interface ProbeTarget {
  key: string;
  name: string;
  connection: SiteConnection;
  zones: string[];
  instanceTypes: string[];
}

/**
 * Keeps each site's health: probes every site on a schedule (and right after registration), and
 * takes in how other calls to the site went (reconcile passes, provisioning). Each site is probed
 * on its own with a deadline, so one slow or failing site never delays the others.
 */
@Injectable()
export class SiteHealthService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly probing = new Set<string>();
  /** Set once the broker stops: no new probes, and what the last ones saw is not recorded. */
  private stopping = false;
  private readonly policy: HealthPolicy;
  private schedule?: ScheduledTask;

  constructor(
    private readonly db: Db,
    private readonly sites: SitesService,
    private readonly metrics: SiteHealthMetrics,
    private readonly notifier: Notifier,
    @Inject(COMPUTE_DRIVERS) private readonly drivers: ComputeDriverFactory,
    @Inject(DEPLOYMENT) private readonly deployment: DeploymentIdentity,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.policy = { downAfterFailures: config.SKYPOOL_SITE_DOWN_AFTER, slowMs: config.SKYPOOL_SITE_SLOW_MS };
  }

  onApplicationBootstrap(): void {
    this.schedule = cron.schedule(this.config.SKYPOOL_HEALTH_CRON, () => this.startProbes(), { name: 'site-health' });
  }

  /**
   * No more probes, and none under way records what it sees: a broker that is stopping may have
   * stopped serving the bundled emulator a probe calls, and a refused call then says nothing of the
   * site. Called before the HTTP server stops (see startBroker).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.schedule?.destroy();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /**
   * Starts a probe of every site without waiting for them: a site whose last probe still hangs is
   * skipped, and the others are probed on time.
   */
  async startProbes(): Promise<void> {
    for (const site of await this.sites.list()) void this.probe(site);
  }

  /**
   * DescribeAvailabilityZones (do the credentials work, are the zones there?), a one-page
   * DescribeInstances of the broker's own instances (does the compute API answer?) and, where the
   * site offers it, DescribeInstanceTypes (are the instance types there?), all within one deadline.
   * A probe of a site that is still being probed is skipped.
   */
  async probe(site: Site): Promise<void> {
    if (this.probing.has(site.id) || this.stopping) return;
    this.probing.add(site.id);
    try {
      const target = { key: site.id, name: site.name, connection: this.sites.connectionOf(site), zones: site.availabilityZones, instanceTypes: site.instanceTypes.map((t) => t.name) };
      const outcome = await this.callSite(target);
      if (!this.stopping) await this.record(site.id, outcome);
    } catch (err) {
      this.logger.error({ err, siteId: site.id, site: site.name }, 'could not record a health probe');
    } finally {
      this.probing.delete(site.id);
    }
  }

  /**
   * The same probe for a site that is not registered yet (or not with these settings), e.g. before
   * `skypool sites apply` registers it. Records nothing.
   */
  async check(spec: SiteSpec): Promise<CallOutcome> {
    const key = `check:${randomUUID()}`;
    const connection = { siteKey: key, siteName: spec.name, endpoint: spec.endpoint, region: spec.region, accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey };
    try {
      return await this.callSite({ key, name: spec.name, connection, zones: spec.availabilityZones ?? [], instanceTypes: spec.instanceTypes.map((t) => t.name) });
    } finally {
      this.drivers.forget(key);
    }
  }

  /** A removed site's series leave /metrics. */
  forget(site: Site): void {
    this.metrics.forget(site);
  }

  /** Takes in how a call to the site went; DOWN opens the site's circuit. */
  async record(siteId: string, outcome: CallOutcome): Promise<Site | undefined> {
    const result = await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(Site);
      // no key update: instance rows that refer to the site (a placement under way) do not have to wait for it
      const site = await repo.findOne({ where: { id: siteId }, lock: { mode: 'for_no_key_update' } });
      if (!site || site.removedAt) return undefined;
      const before = site.health;
      const next = nextHealth(
        { health: site.health, since: site.healthSince, checkedAt: site.healthCheckedAt, latencyMs: site.healthLatencyMs, error: site.healthError, consecutiveFailures: site.consecutiveFailures },
        outcome,
        this.policy,
        this.clock.now(),
      );
      const columns = { health: next.health, healthSince: next.since, healthCheckedAt: next.checkedAt, healthLatencyMs: next.latencyMs, healthError: next.error, consecutiveFailures: next.consecutiveFailures };
      await repo.update(site.id, columns);
      if (next.health === 'DOWN' && before !== 'DOWN') {
        await this.notifier.notify(manager, {
          kind: 'SITE_DOWN',
          institution: site.institution,
          subject: `site ${site.name} is DOWN: ${next.error ?? 'it does not answer'}`,
          details: { siteId: site.id, site: site.name, since: next.since, error: next.error },
        });
      }
      return { site: Object.assign(site, columns), before };
    });
    if (!result) return undefined;
    const { site, before } = result;
    this.metrics.record(site, outcome.ok ? { ok: true, latencyMs: outcome.latencyMs } : { ok: false, category: outcome.category, latencyMs: outcome.latencyMs });
    if (site.health !== before) {
      const log = site.health === 'DOWN' ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
      log({ siteId: site.id, site: site.name, from: before, to: site.health, detail: site.healthError }, `site ${site.name} is ${site.health}`);
    }
    return site;
  }

  /**
   * Takes in a successful answer that could not be read (see ComputeErrorCategory 'malformed'): the
   * site answered, so its health and its run of failures stay as they are; the reply is counted
   * apart, and the site's health report says what the last one was.
   */
  async recordMalformedReply(site: Site, message: string): Promise<void> {
    const now = this.clock.now();
    await this.db.manager.query(
      `UPDATE site SET malformed_replies = malformed_replies + 1, last_malformed_reply = $2, last_malformed_reply_at = $3 WHERE id = $1`,
      [site.id, message, now],
    );
    this.metrics.malformedReply(site);
    this.logger.warn({ siteId: site.id, site: site.name, detail: message }, `site ${site.name} sent a reply the broker cannot read; not counted as a failure`);
  }

  private async callSite(site: ProbeTarget): Promise<CallOutcome> {
    const driver = this.drivers.forSite(site.connection);
    const started = performance.now();
    const within = <T>(call: Promise<T>) => this.withDeadline(site, call, started);
    try {
      const zones = await within(driver.describeAvailabilityZones());
      await within(driver.describeInstances({ tags: { [TAG_BROKER]: this.deployment.id } }, { firstPageOnly: true }));
      const instanceTypes = await within(driver.describeInstanceTypes());
      const latencyMs = Math.round(performance.now() - started);
      const warning = missingOfferings(
        { zones: site.zones, instanceTypes: site.instanceTypes },
        { zones, instanceTypes: instanceTypes?.map((type) => type.name) ?? null },
      );
      return { ok: true, latencyMs, warning };
    } catch (err) {
      const error = toComputeError(err, { site: site.name });
      return { ok: false, latencyMs: null, category: error.category, message: error.message, detail: error.detail };
    }
  }

  /**
   * The probe's own deadline, shorter than the driver's timeouts and retries put together. It runs
   * from the probe's start, so it covers all of its calls, and a call after a late one is never made.
   */
  private withDeadline<T>(site: ProbeTarget, call: Promise<T>, started: number): Promise<T> {
    const ms = this.config.SKYPOOL_SITE_TIMEOUT_MS;
    return withinDeadline(call, Math.max(0, started + ms - performance.now()), () => {
      throw new ComputeError('transient', 'TIMEOUT', `site ${site.name} did not answer the health probe within ${ms} ms`);
    });
  }
}
