import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, Not, IsNull, LessThanOrEqual, type EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { groupBy } from '../common/group-by.js';
import { LOGGER } from '../common/logging.js';
import { isLive, type SiteInstance } from '../compute/compute-driver.js';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../compute/compute.tokens.js';
import { withinDeadline } from '../common/deadline.js';
import { isUuid } from '../common/validation.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../database/deployment.service.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { AT_SITE_STATES, HOLDING_STATES, type InstanceState } from '../requests/instance-state.js';
import { RequestLifecycle, type InstanceMove } from '../requests/request-lifecycle.js';
import { lockInstancesOf, lockInstancesOfRequests, lockRequest, lockRequests } from '../requests/request-locks.js';
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

/** What changes soon after a call to a site: an instance starting, or ending. */
const IN_FLUX_STATES: InstanceState[] = ['PENDING', 'TERMINATING'];

/** Instance ids per DescribeInstances of a follow-up pass (EC2 takes at most 200 values per filter). */
const IDS_PER_LISTING = 200;

/** Requests whose instances a reconcile pass moves in one transaction. */
const REQUESTS_PER_TRANSACTION = 100;

type InstanceChange = { to: InstanceState; patch: Partial<Instance>; why: string };

export interface ReconcileOutcome {
  released: boolean;
  terminating: boolean;
  /** Some instance changed state (the sites are making progress). */
  moved: boolean;
  /** Some instance is still starting or ending at its site: worth another look soon. */
  inFlux: boolean;
}

const NOTHING: ReconcileOutcome = { released: false, terminating: false, moved: false, inFlux: false };

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
   * `inFlux`: a follow-up soon after calls to sites, which looks only at the instances that change
   * soon after a call (see reconcileSite).
   */
  async reconcileAll(options: { inFlux?: boolean } = {}): Promise<ReconcileOutcome> {
    const sites = await this.sites.list();
    const outcomes = await Promise.all(sites.filter((site) => !this.inProgress.has(site.id)).map((site) => this.reconcileWithin(site, options)));
    const leases = await this.endExpiredLeases();
    return {
      released: outcomes.some((o) => o.released) || leases.released,
      terminating: outcomes.some((o) => o.terminating) || leases.terminating,
      moved: outcomes.some((o) => o.moved),
      inFlux: outcomes.some((o) => o.inFlux),
    };
  }

  private reconcileWithin(site: Site, options: { inFlux?: boolean }): Promise<ReconcileOutcome> {
    const pass = this.reconcileSite(site, options).finally(() => this.inProgress.delete(site.id));
    this.inProgress.add(site.id);
    return withinDeadline(pass, this.config.SKYPOOL_SITE_TIMEOUT_MS, () => {
      this.logger.warn({ siteId: site.id, site: site.name }, 'site is slow to answer; the reconcile pass goes on without it');
      return NOTHING;
    });
  }

  /**
   * Compares the site's listing of this deployment's instances with the books. `inFlux` asks the
   * site only about the instances expected to change soon (PENDING, TERMINATING), by id: what it
   * says of those means the same as a whole listing would, and the listing stays as small as the
   * work under way rather than growing with everything that runs. Orphans and running instances
   * that vanished are found by the whole passes.
   */
  async reconcileSite(site: Site, options: { inFlux?: boolean } = {}): Promise<ReconcileOutcome> {
    const inFlux = options.inFlux ? await this.instancesOf(site, IN_FLUX_STATES) : undefined;
    if (inFlux?.length === 0) return NOTHING;
    let remote: SiteInstance[];
    try {
      const driver = this.drivers.forSite(this.sites.connectionOf(site));
      const tags = { [TAG_BROKER]: this.deployment.id };
      if (!inFlux) remote = await driver.describeInstances({ tags });
      else {
        remote = [];
        for (let i = 0; i < inFlux.length; i += IDS_PER_LISTING) {
          remote.push(...(await driver.describeInstances({ tags, instanceIds: inFlux.slice(i, i + IDS_PER_LISTING).map((row) => row.siteInstanceId!) })));
        }
      }
    } catch (err) {
      const error = toComputeError(err, { site: site.name });
      // an answer that cannot be read tells nothing of the instances, but the site did answer
      if (error.category === 'malformed') await this.health.recordMalformedReply(site, error.message);
      else await this.health.record(site.id, { ok: false, latencyMs: null, category: error.category, message: error.message, detail: error.detail });
      // no follow-up for a site that failed to answer: the schedule's passes try it again, as often as before
      return NOTHING;
    }
    // an answer ends a run of failures; latency and warnings are the probe's to judge
    if (site.consecutiveFailures > 0) await this.health.record(site.id, { ok: true, latencyMs: null });
    const bySiteId = new Map(remote.map((r) => [r.siteInstanceId, r]));
    const now = this.clock.now();
    // the site was asked about these alone: of the others its answer says nothing
    const asked = inFlux && new Set(inFlux.map((row) => row.siteInstanceId));
    const change = (row: Instance) => (!asked || asked.has(row.siteInstanceId) ? this.changeOf(row, bySiteId.get(row.siteInstanceId!), site, now) : undefined);

    // which requests have instances to move, from the books as they are; each is then moved under its locks
    const books = inFlux ?? (await this.instancesOf(site, AT_SITE_STATES));
    const changing = [...new Set(books.filter((row) => change(row)).map((row) => row.requestId))];
    // an instance that changes leaves flux (it runs, ended or failed); one that does not stays as it was
    const outcome: ReconcileOutcome = { ...NOTHING, moved: changing.length > 0, inFlux: books.some((row) => IN_FLUX_STATES.includes(row.state) && !change(row)) };
    for (let i = 0; i < changing.length; i += REQUESTS_PER_TRANSACTION) {
      const moved = await this.db.transaction((manager) => this.moveAsSeen(manager, site, changing.slice(i, i + REQUESTS_PER_TRANSACTION), change));
      outcome.released ||= moved.released;
      outcome.terminating ||= moved.terminating;
    }

    if (!inFlux) await this.sweepUnknown(site, remote);
    return outcome;
  }

  /** The broker's instances at the site in these states that the site has given an id. */
  private instancesOf(site: Site, states: InstanceState[]): Promise<Instance[]> {
    return this.db.manager.getRepository(Instance).find({
      where: { siteId: site.id, state: In(states), siteInstanceId: Not(IsNull()) },
      select: { id: true, requestId: true, siteInstanceId: true, state: true, startedAt: true, pendingSince: true, updatedAt: true },
    });
  }

  /**
   * Moves the requests' instances at the site as the listing says (`change`), under their locks
   * (the requests first, then their instances), and settles the requests that changed.
   */
  private async moveAsSeen(manager: EntityManager, site: Site, requestIds: string[], change: (row: Instance) => InstanceChange | undefined): Promise<Pick<ReconcileOutcome, 'released' | 'terminating'>> {
    const requests = await lockRequests(manager, requestIds);
    const instancesOf = groupBy(requests.length > 0 ? await lockInstancesOfRequests(manager, requests) : [], (i) => i.requestId);
    const moves: InstanceMove[] = [];
    const touched: ResourceRequest[] = [];
    for (const request of requests) {
      const atSite = (instancesOf.get(request.id) ?? []).filter((row) => row.siteId === site.id && AT_SITE_STATES.includes(row.state) && row.siteInstanceId !== null);
      const before = moves.length;
      for (const row of atSite) {
        const move = change(row); // decided again on the row as it is now
        if (move) moves.push({ instance: row, to: move.to, patch: move.patch, why: move.why });
      }
      if (moves.length > before) touched.push(request);
    }
    await this.lifecycle.moveInstances(manager, moves);
    const settled = await this.settlement.settleLocked(manager, touched.map((request) => ({ request, instances: instancesOf.get(request.id) ?? [] })));
    // an instance ended or failed: its quota and capacity are free again
    return { released: moves.some((m) => m.to !== 'RUNNING'), terminating: settled.terminating };
  }

  /** What the site's listing means for one of the broker's live instances at that site, if it changes anything. */
  private changeOf(row: Instance, seen: SiteInstance | undefined, site: Site, now: Date): InstanceChange | undefined {
    const since = (row.pendingSince ?? row.updatedAt).getTime();
    // startedAt: seen running at the site before (fault tests showed a vanished running instance kept its quota for the whole grace)
    const gone = !seen ? row.startedAt !== null || now.getTime() - since > VISIBILITY_GRACE_MS : seen.state === 'terminated';
    if (gone && row.state === 'TERMINATING') return { to: 'TERMINATED', patch: { endedAt: now }, why: 'terminated at the site' };
    if (gone) {
      const why = `instance ${row.siteInstanceId} ${seen ? 'was terminated' : 'disappeared'} at site ${site.name}`;
      return { to: 'FAILED', patch: { endedAt: now, failureCode: 'NODE_DISAPPEARED', failureReason: why }, why };
    }
    if (seen?.state === 'pending' && row.state === 'PENDING' && now.getTime() - since > this.config.SKYPOOL_PENDING_TIMEOUT_SECONDS * 1000) {
      // stuck: give it up here (the sweep of unknown instances terminates it at the site) and fail over
      const why = `instance ${row.siteInstanceId} was still pending at site ${site.name} after ${this.config.SKYPOOL_PENDING_TIMEOUT_SECONDS} s`;
      return { to: 'FAILED', patch: { endedAt: now, failureCode: 'SITE_TIMEOUT', failureReason: why }, why };
    }
    if (seen?.state === 'running' && row.state === 'PENDING') {
      return { to: 'RUNNING', patch: { startedAt: now, privateIp: seen.privateIp ?? row.privateIp, publicIp: seen.publicIp ?? row.publicIp }, why: 'running at the site' };
    }
    return undefined;
  }

  /**
   * Instances with this deployment's tag that the broker does not hold as live: one that a
   * placement of a live request still waits for (a lost reply, a crash before the answer was
   * written) is adopted; any other is an orphan and is terminated.
   *
   * Whether an instance is an orphan is decided per request in one transaction that locks the
   * request, then its instances at the site, and reads them as they are now: an adoption that
   * committed since the listing (the provisioner's retry, say) is seen. And once no row of the
   * instance's placement waits unstarted, none ever will again (rows never go back to REQUESTED), so
   * no adoption can come after the decision to terminate.
   */
  private async sweepUnknown(site: Site, remote: SiteInstance[]): Promise<void> {
    const live = remote.filter(isLive);
    if (live.length === 0) return;
    // most are known and live: only the others need a look under locks
    const known = await this.db.manager.getRepository(Instance).find({ where: { siteId: site.id, siteInstanceId: In(live.map((r) => r.siteInstanceId)) }, select: { siteInstanceId: true, state: true } });
    const held = new Set(known.filter((k) => HOLDING_STATES.includes(k.state)).map((k) => k.siteInstanceId));
    const byRequest = groupBy(live.filter((r) => !held.has(r.siteInstanceId)), (instance) => instance.tags[TAG_REQUEST] ?? '');
    const orphans: string[] = [];
    for (const [requestId, instances] of byRequest) {
      if (!isUuid(requestId)) orphans.push(...instances.map((i) => i.siteInstanceId));
      else orphans.push(...(await this.db.transaction((manager) => this.judgeUnknown(manager, site, requestId, instances))));
    }
    if (orphans.length === 0) return;
    this.logger.warn({ siteId: site.id, site: site.name, siteInstanceIds: orphans }, 'terminating orphaned instances');
    await this.drivers
      .forSite(this.sites.connectionOf(site))
      .terminateInstances(orphans)
      .catch((err) => this.logger.warn({ site: site.name, err: String(err) }, 'could not terminate orphans; will retry'));
  }

  /** Adopts the request's instances that a placement waits for; returns the others, which are orphans. */
  private async judgeUnknown(manager: EntityManager, site: Site, requestId: string, instances: SiteInstance[]): Promise<string[]> {
    const request = await lockRequest(manager, requestId);
    if (!request) return instances.map((i) => i.siteInstanceId);
    const rows = await lockInstancesOf(manager, request, { siteId: site.id });
    const bySiteInstanceId = new Map(rows.filter((r) => r.siteInstanceId !== null).map((r) => [r.siteInstanceId!, r]));
    const orphans: string[] = [];
    const waitedFor: SiteInstance[] = [];
    for (const instance of instances) {
      const row = bySiteInstanceId.get(instance.siteInstanceId);
      if (row) {
        // known after all: adopted since the listing (leave it), or ended by the broker (never adopted again)
        if (!HOLDING_STATES.includes(row.state)) orphans.push(instance.siteInstanceId);
        continue;
      }
      const attempt = Number(instance.tags[TAG_ATTEMPT]);
      if (rows.some((r) => r.attempt === attempt && r.state === 'REQUESTED' && r.siteInstanceId === null)) waitedFor.push(instance);
      else orphans.push(instance.siteInstanceId);
    }
    for (const [attempt, found] of groupBy(waitedFor, (instance) => Number(instance.tags[TAG_ATTEMPT]))) {
      const placement = { requestId, attempt, siteId: site.id };
      this.db.afterCommit(manager, () =>
        this.logger.info({ ...placement, site: site.name, siteInstanceIds: found.map((i) => i.siteInstanceId) }, 'adopting instances their placement was waiting for'),
      );
      orphans.push(...(await this.provisioner.pair(manager, placement, site, found, { whole: false })));
    }
    return orphans;
  }

  /** Requests whose lease is over start terminating. */
  private async endExpiredLeases(): Promise<ReconcileOutcome> {
    const due = await this.db.manager.getRepository(ResourceRequest).find({ where: { state: 'RUNNING', leaseEndsAt: LessThanOrEqual(this.clock.now()) }, select: { id: true } });
    const result: ReconcileOutcome = { ...NOTHING };
    for (const { id } of due) {
      const settled = await this.db.transaction((manager) => this.settlement.settle(manager, id));
      result.terminating ||= settled.terminating;
    }
    return result;
  }
}
