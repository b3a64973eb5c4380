import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { ComputeError, type ComputeDriver, type SiteInstance } from '../compute/compute-driver.js';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../compute/compute.tokens.js';
import { Db } from '../database/db.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../database/deployment.service.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';
import { Site } from '../sites/entities/site.entity.js';
import { SitesService } from '../sites/sites.service.js';
import { SiteHealthService } from '../sites/health/site-health.service.js';
import { buildUserData } from './cloud-init.js';
import { RequestSettlement } from './request-settlement.js';
import { clientToken, instanceTags, TAG_ATTEMPT, TAG_REQUEST } from '../compute/site-tags.js';

/** How long a placement may keep failing with transient errors before it is given up at that site. */
const GIVE_UP_AFTER_MS = 5 * 60_000;

interface Placement {
  requestId: string;
  attempt: number;
  siteId: string;
}

/** What a failed RunInstances means for the request, as a reason code. */
function reasonCodeOf(err: ComputeError): string {
  if (err.category === 'capacity') return 'SITE_CAPACITY';
  if (err.category === 'auth') return 'AUTH_FAILED';
  if (err.code.startsWith('InvalidAMIID')) return 'IMAGE_MISSING';
  if (err.category === 'permanent') return 'SITE_REJECTED';
  return 'SITE_TIMEOUT';
}

/**
 * Starts placed instances at their sites: one RunInstances per placement (request, attempt,
 * site) with a ClientToken stable across retries and the skypool:* tags. No transaction is held
 * while a site is called.
 */
@Injectable()
export class ProvisionerService {
  constructor(
    private readonly db: Db,
    private readonly sites: SitesService,
    private readonly health: SiteHealthService,
    private readonly lifecycle: RequestLifecycle,
    private readonly settlement: RequestSettlement,
    @Inject(COMPUTE_DRIVERS) private readonly drivers: ComputeDriverFactory,
    @Inject(DEPLOYMENT) private readonly deployment: DeploymentIdentity,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Every placement waiting for RunInstances, sites in parallel; one failing site delays no
   * other. Returns whether any site was asked to start something.
   */
  async provisionAll(): Promise<boolean> {
    const placements: Placement[] = await this.db.manager.query(
      `SELECT DISTINCT request_id AS "requestId", attempt, site_id AS "siteId" FROM instance WHERE state = 'REQUESTED'`,
    );
    const bySite = new Map<string, Placement[]>();
    for (const p of placements) bySite.set(p.siteId, [...(bySite.get(p.siteId) ?? []), p]);
    await Promise.all(
      [...bySite.values()].map(async (list) => {
        for (const placement of list) {
          await this.provision(placement).catch((err) => this.logger.error({ err, ...placement }, 'provisioning failed unexpectedly'));
        }
      }),
    );
    return placements.length > 0;
  }

  private async provision(placement: Placement): Promise<void> {
    const manager = this.db.manager;
    const [request, site, rows] = await Promise.all([
      manager.getRepository(ResourceRequest).findOneByOrFail({ id: placement.requestId }),
      manager.getRepository(Site).findOneByOrFail({ id: placement.siteId }),
      manager.getRepository(Instance).find({ where: { requestId: placement.requestId, attempt: placement.attempt, siteId: placement.siteId, state: 'REQUESTED' } }),
    ]);
    if (rows.length === 0) return;
    const driver = this.drivers.forSite(this.sites.connectionOf(site));
    const imageId = site.images.find((m) => m.image === request.image)?.imageId;
    const tags = instanceTags(this.deployment.id, request, placement.attempt);
    let created: SiteInstance[];
    try {
      if (!imageId) throw new ComputeError('permanent', 'InvalidAMIID.NotFound', `site ${site.name} no longer maps image '${request.image}'`);
      created = await driver.runInstances({
        clientToken: clientToken(request.id, placement.attempt, site.id),
        imageId,
        instanceType: rows[0]!.instanceType,
        minCount: rows.length,
        maxCount: rows.length,
        userData: buildUserData(request.userData, request.sshPublicKey),
        tags,
        tagMode: site.tagMode,
        network: site.network,
      });
    } catch (err) {
      const error = err instanceof ComputeError ? err : new ComputeError('transient', 'UNKNOWN', String(err));
      if (['transient', 'throttling', 'auth'].includes(error.category)) {
        await this.health.record(site.id, { ok: false, latencyMs: null, category: error.category, message: error.message });
      }
      if (error.startedInstances.length > 0) {
        // started but not tagged: keep them (recorded by id) rather than lose track of them
        this.logger.warn({ ...placement, site: site.name, err: error.message }, 'instances started but could not be tagged');
        return this.record(placement, site, driver, error.startedInstances);
      }
      const adopted = error.category === 'transient' || error.category === 'throttling' ? await this.findEarlierLaunch(driver, request.id, placement.attempt) : [];
      if (adopted.length === 0) return this.failed(placement, site, rows, error);
      created = adopted;
    }
    await this.record(placement, site, driver, created);
  }

  /** After a lost reply the instances may exist: look for this attempt's instances by tag. */
  private async findEarlierLaunch(driver: ComputeDriver, requestId: string, attempt: number): Promise<SiteInstance[]> {
    try {
      const found = await driver.describeInstances({ tags: { [TAG_REQUEST]: requestId, [TAG_ATTEMPT]: String(attempt) } });
      return found.filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down');
    } catch {
      return [];
    }
  }

  /**
   * Pairs what the site started with the placement's rows. A row ended meanwhile (the request
   * was cancelled while RunInstances was under way) keeps the id, and its instance is terminated.
   */
  private async record(placement: Placement, site: Site, driver: ComputeDriver, created: SiteInstance[]): Promise<void> {
    const unwanted = await this.db.transaction(async (manager) => {
      const rows = await manager.getRepository(Instance).find({
        where: { requestId: placement.requestId, attempt: placement.attempt, siteId: placement.siteId },
        order: { createdAt: 'ASC', id: 'ASC' },
        lock: { mode: 'pessimistic_write' },
      });
      const known = new Set(rows.map((r) => r.siteInstanceId).filter(Boolean));
      const fresh = created.filter((c) => !known.has(c.siteInstanceId));
      const ended: string[] = [];
      for (const row of rows.filter((r) => r.siteInstanceId === null)) {
        const remote = fresh.shift();
        if (!remote) break;
        const seen = { siteInstanceId: remote.siteInstanceId, privateIp: remote.privateIp ?? null, publicIp: remote.publicIp ?? null };
        if (row.state === 'REQUESTED') {
          await this.lifecycle.moveInstance(manager, row, 'PENDING', seen, `started at ${site.name}`);
        } else {
          await manager.getRepository(Instance).update(row.id, { siteInstanceId: remote.siteInstanceId });
          ended.push(remote.siteInstanceId);
        }
      }
      await this.settlement.settle(manager, placement.requestId);
      return [...ended, ...fresh.map((f) => f.siteInstanceId)]; // fresh leftovers: more than was asked for
    });
    if (unwanted.length > 0) {
      this.logger.warn({ ...placement, site: site.name, siteInstanceIds: unwanted }, 'terminating instances that are no longer wanted');
      await driver.terminateInstances(unwanted).catch((err) => this.logger.warn({ err: String(err), site: site.name }, 'terminate failed; the reconciler will retry'));
    }
  }

  private async failed(placement: Placement, site: Site, rows: Instance[], error: ComputeError): Promise<void> {
    const retryable = error.category === 'transient' || error.category === 'throttling';
    const age = this.clock.now().getTime() - Math.min(...rows.map((r) => r.createdAt.getTime()));
    if (retryable && age < GIVE_UP_AFTER_MS) {
      this.logger.warn({ ...placement, site: site.name, code: error.code, err: error.message }, 'RunInstances failed; will retry with the same ClientToken');
      return;
    }
    const code = reasonCodeOf(error);
    const reason = `site ${site.name}: ${error.message}`;
    this.logger.warn({ ...placement, site: site.name, code: error.code, category: error.category }, 'RunInstances refused');
    await this.db.transaction(async (manager) => {
      const current = await manager.getRepository(Instance).find({ where: { id: In(rows.map((r) => r.id)), state: 'REQUESTED' }, lock: { mode: 'pessimistic_write' } });
      for (const row of current) await this.lifecycle.moveInstance(manager, row, 'FAILED', { endedAt: this.clock.now(), failureCode: code, failureReason: reason }, reason);
      await this.settlement.settle(manager, placement.requestId);
    });
  }
}
