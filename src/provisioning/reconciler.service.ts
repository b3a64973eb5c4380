import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, Not, IsNull, LessThanOrEqual } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import type { SiteInstance } from '../compute/compute-driver.js';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../compute/compute.tokens.js';
import { withinDeadline } from '../common/deadline.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../database/deployment.service.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';
import { Site } from '../sites/entities/site.entity.js';
import { SitesService } from '../sites/sites.service.js';
import { SiteHealthService } from '../sites/health/site-health.service.js';
import { toComputeError } from '../compute/ec2-errors.js';
import { ProvisionerService } from './provisioner.service.js';
import { RequestSettlement } from './request-settlement.js';
import { TAG_ATTEMPT, TAG_BROKER, TAG_REQUEST } from '../compute/site-tags.js';

/**
 * An instance the broker started may take this long to show in DescribeInstances (EC2 is
 * eventually consistent right after RunInstances). One the site has already shown running needs
 * no grace: once the site stops listing it, it is gone.
 */
const VISIBILITY_GRACE_MS = 60_000;

export interface ReconcileOutcome {
  released: boolean;
  terminating: boolean;
}

/**
 * Keeps the federation's view true: per site, DescribeInstances by this deployment's tag and
 * compare with the broker's books. One failing site never stops the pass for the others.
 */
@Injectable()
export class ReconcilerService {
  /** Sites whose reconcile is still under way (e.g. a hanging endpoint). */
  private readonly inProgress = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly sites: SitesService,
    private readonly health: SiteHealthService,
    private readonly lifecycle: RequestLifecycle,
    private readonly settlement: RequestSettlement,
    private readonly provisioner: ProvisionerService,
    @Inject(COMPUTE_DRIVERS) private readonly drivers: ComputeDriverFactory,
    @Inject(DEPLOYMENT) private readonly deployment: DeploymentIdentity,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Every site at once. A site that does not finish within SKYPOOL_SITE_TIMEOUT_MS goes on in the
   * background and is skipped by later passes until it is done: one hanging site never holds up the others.
   */
  async reconcileAll(): Promise<ReconcileOutcome> {
    const sites = await this.sites.list();
    const outcomes = await Promise.all(sites.filter((site) => !this.inProgress.has(site.id)).map((site) => this.reconcileWithin(site)));
    const leases = await this.endExpiredLeases();
    return {
      released: outcomes.some((o) => o.released) || leases.released,
      terminating: outcomes.some((o) => o.terminating) || leases.terminating,
    };
  }

  private reconcileWithin(site: Site): Promise<ReconcileOutcome> {
    const pass = this.reconcileSite(site).finally(() => this.inProgress.delete(site.id));
    this.inProgress.add(site.id);
    return withinDeadline(pass, this.config.SKYPOOL_SITE_TIMEOUT_MS, () => {
      this.logger.warn({ siteId: site.id, site: site.name }, 'site is slow to answer; the reconcile pass goes on without it');
      return { released: false, terminating: false };
    });
  }

  async reconcileSite(site: Site): Promise<ReconcileOutcome> {
    let remote: SiteInstance[];
    try {
      remote = await this.drivers.forSite(this.sites.connectionOf(site)).describeInstances({ tags: { [TAG_BROKER]: this.deployment.id } });
    } catch (err) {
      const error = toComputeError(err, { site: site.name });
      await this.health.record(site.id, { ok: false, latencyMs: null, category: error.category, message: error.message, detail: error.detail });
      return { released: false, terminating: false };
    }
    // an answer ends a run of failures; latency and warnings are the probe's to judge
    if (site.consecutiveFailures > 0) await this.health.record(site.id, { ok: true, latencyMs: null });
    const bySiteId = new Map(remote.map((r) => [r.siteInstanceId, r]));
    const now = this.clock.now();
    const pendingLimitMs = this.config.SKYPOOL_PENDING_TIMEOUT_SECONDS * 1000;
    const touched = new Set<string>();
    let freed = false; // an instance ended or failed: its quota and capacity are free again

    const outcome = await this.db.transaction(async (manager) => {
      const rows = await manager.getRepository(Instance).find({
        where: { siteId: site.id, state: In(['PENDING', 'RUNNING', 'TERMINATING']), siteInstanceId: Not(IsNull()) },
        lock: { mode: 'pessimistic_write' },
      });
      for (const row of rows) {
        const seen = bySiteId.get(row.siteInstanceId!);
        const since = (row.pendingSince ?? row.updatedAt).getTime();
        // startedAt: seen running at the site before (fault tests showed a vanished running instance kept its quota for the whole grace)
        const gone = !seen ? row.startedAt !== null || now.getTime() - since > VISIBILITY_GRACE_MS : seen.state === 'terminated';
        if (gone && row.state === 'TERMINATING') {
          await this.lifecycle.moveInstance(manager, row, 'TERMINATED', { endedAt: now }, 'terminated at the site');
          freed = true;
        } else if (gone) {
          const reason = `instance ${row.siteInstanceId} ${seen ? 'was terminated' : 'disappeared'} at site ${site.name}`;
          await this.lifecycle.moveInstance(manager, row, 'FAILED', { endedAt: now, failureCode: 'NODE_DISAPPEARED', failureReason: reason }, reason);
          freed = true;
        } else if (seen?.state === 'pending' && row.state === 'PENDING' && now.getTime() - since > pendingLimitMs) {
          // stuck: give it up here (the orphan sweep below terminates it at the site) and fail over
          const reason = `instance ${row.siteInstanceId} was still pending at site ${site.name} after ${this.config.SKYPOOL_PENDING_TIMEOUT_SECONDS} s`;
          await this.lifecycle.moveInstance(manager, row, 'FAILED', { endedAt: now, failureCode: 'SITE_TIMEOUT', failureReason: reason }, reason);
          freed = true;
        } else if (seen?.state === 'running' && row.state === 'PENDING') {
          await this.lifecycle.moveInstance(manager, row, 'RUNNING', { startedAt: now, privateIp: seen.privateIp ?? row.privateIp, publicIp: seen.publicIp ?? row.publicIp }, 'running at the site');
        } else {
          continue;
        }
        touched.add(row.requestId);
      }
      const result: ReconcileOutcome = { released: freed, terminating: false };
      for (const requestId of touched) {
        const settled = await this.settlement.settle(manager, requestId);
        result.terminating ||= settled.terminating;
      }
      return result;
    });

    await this.terminateOrphans(site, remote);
    return outcome;
  }

  /**
   * Instances with this deployment's tag that the broker does not know as live: one that a
   * placement of a live request still waits for (a lost reply, a crash before the answer was
   * written) is adopted; any other is an orphan and is terminated.
   */
  private async terminateOrphans(site: Site, remote: SiteInstance[]): Promise<void> {
    const live = remote.filter((r) => r.state !== 'terminated' && r.state !== 'shutting-down');
    if (live.length === 0) return;
    const known = await this.db.manager.getRepository(Instance).find({ where: { siteId: site.id, siteInstanceId: In(live.map((r) => r.siteInstanceId)) } });
    const stateOf = new Map(known.map((k) => [k.siteInstanceId, k.state]));
    const holding = (id: string) => ['PENDING', 'RUNNING', 'TERMINATING'].includes(stateOf.get(id) ?? '');
    // one the broker has ended (failed, terminated) is never adopted again
    const orphans: string[] = live.filter((r) => stateOf.has(r.siteInstanceId) && !holding(r.siteInstanceId)).map((r) => r.siteInstanceId);
    const candidates = live.filter((r) => !stateOf.has(r.siteInstanceId));
    const driver = this.drivers.forSite(this.sites.connectionOf(site));
    for (const candidate of candidates) {
      const requestId = candidate.tags[TAG_REQUEST];
      const attempt = Number(candidate.tags[TAG_ATTEMPT]);
      const awaited = requestId && (await this.db.manager.getRepository(Instance).existsBy({ requestId, attempt, siteId: site.id, state: 'REQUESTED', siteInstanceId: IsNull() }));
      if (!awaited) {
        orphans.push(candidate.siteInstanceId);
        continue;
      }
      this.logger.info({ siteId: site.id, site: site.name, requestId, attempt, siteInstanceId: candidate.siteInstanceId }, 'adopting an instance its placement was waiting for');
      await this.provisioner.record({ requestId, attempt, siteId: site.id }, site, driver, [candidate], { whole: false });
    }
    if (orphans.length === 0) return;
    this.logger.warn({ siteId: site.id, site: site.name, siteInstanceIds: orphans }, 'terminating orphaned instances');
    await driver
      .terminateInstances(orphans)
      .catch((err) => this.logger.warn({ site: site.name, err: String(err) }, 'could not terminate orphans; will retry'));
  }

  /** Requests whose lease is over start terminating. */
  private async endExpiredLeases(): Promise<ReconcileOutcome> {
    const due = await this.db.manager.getRepository(ResourceRequest).find({ where: { state: 'RUNNING', leaseEndsAt: LessThanOrEqual(this.clock.now()) }, select: { id: true } });
    const result: ReconcileOutcome = { released: false, terminating: false };
    for (const { id } of due) {
      const settled = await this.db.transaction((manager) => this.settlement.settle(manager, id));
      result.terminating ||= settled.terminating;
    }
    return result;
  }
}
