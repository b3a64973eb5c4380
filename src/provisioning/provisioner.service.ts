import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, IsNull, type EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { Batcher } from '../common/batcher.js';
import { groupBy } from '../common/group-by.js';
import { LOGGER } from '../common/logging.js';
import { ComputeError, isLive, type ComputeDriver, type SiteInstance } from '../compute/compute-driver.js';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../compute/compute.tokens.js';
import { clientToken, instanceTags, TAG_ATTEMPT, TAG_REQUEST } from '../compute/site-tags.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../database/deployment.service.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { RequestLifecycle, type InstanceMove } from '../requests/request-lifecycle.js';
import { lockInstancesOf, lockInstancesOfRequests, lockRequest, lockRequests } from '../requests/request-locks.js';
import { Site } from '../sites/entities/site.entity.js';
import { SiteHealthService } from '../sites/health/site-health.service.js';
import { SitesService } from '../sites/sites.service.js';
import { buildUserData } from './cloud-init.js';
import { PlacementClaims, type Placement } from './placement-claims.js';
import { RequestSettlement } from './request-settlement.js';

/** Exponential backoff with jitter between RunInstances retries of one placement. */
export function backoffMs(tries: number, random = Math.random): number {
  const ceiling = Math.min(60_000, 2_000 * 2 ** (tries - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** What a failed RunInstances means for the request, as a reason code. */
function reasonCodeOf(err: ComputeError): string {
  if (err.category === 'capacity') return 'SITE_CAPACITY';
  if (err.category === 'auth') return 'AUTH_FAILED';
  if (err.code.startsWith('InvalidAMIID')) return 'IMAGE_MISSING';
  if (err.category === 'permanent') return 'SITE_REJECTED';
  return 'SITE_TIMEOUT';
}

/** What a placement needs to start: its request (gone if deleted) and the rows this process claimed for it. */
interface PlacementWork {
  request: ResourceRequest | undefined;
  rows: Instance[];
}

/** After a call to a site: instances to record for the placement, or nothing to record (and whether it failed over). */
type CallOutcome = { started: SiteInstance[] } | { wentBack: boolean };

/** A site's answer for one placement, waiting to be recorded. */
interface Answer {
  placement: Placement;
  started: SiteInstance[];
}

/** What pairMany pairs: a placement and what its site started for it (`whole`: all it will ever get). */
export interface Pairing {
  placement: Pick<Placement, 'requestId' | 'attempt' | 'siteId'>;
  created: SiteInstance[];
  whole: boolean;
}

/**
 * Starts placed instances at their sites: one RunInstances per placement (request, attempt,
 * site), with a ClientToken stable across retries and the skypool:* tags. Placements are
 * claimed (see PlacementClaims), so two broker processes never start the same one. Because some
 * EC2-compatible clouds ignore ClientToken, every retry and every placement taken over from
 * another process first looks for the attempt's instances by tag and adopts what it finds.
 * Transient failures are retried with backoff until SKYPOOL_PROVISION_TIMEOUT_SECONDS; then, or
 * on any other failure, the instances fail and the request goes back to the allocator.
 */
@Injectable()
export class ProvisionerService {
  readonly claims: PlacementClaims;

  constructor(
    private readonly db: Db,
    private readonly sites: SitesService,
    private readonly health: SiteHealthService,
    private readonly lifecycle: RequestLifecycle,
    private readonly settlement: RequestSettlement,
    @Inject(COMPUTE_DRIVERS) private readonly drivers: ComputeDriverFactory,
    @Inject(DEPLOYMENT) private readonly deployment: DeploymentIdentity,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.claims = new PlacementClaims(db, clock);
  }

  /**
   * Every placement due, sites in parallel and at most SKYPOOL_SITE_CONCURRENCY calls to one
   * site at a time; one failing site delays no other. What a site started is recorded in batches,
   * a transaction for all the answers that came while the one before was written (the calls go on
   * meanwhile). Says whether any site was asked to start something, whether a request went back
   * to the allocator, and when the next retry is due.
   */
  async provisionAll(): Promise<{ started: boolean; requeued: boolean; nextRetryAt: Date | null }> {
    const placements = await this.claims.claimDue();
    let requeued = false;
    const work = await this.workFor(placements);
    await Promise.all(
      [...groupBy(placements, (p) => p.siteId).values()].map(async (queue) => {
        // a placement's work ends with its claim handed back (the batch that records it hands it back with the record)
        const finish = (placement: Placement, done: Promise<boolean>) =>
          done
            .then((wentBack) => {
              requeued ||= wentBack;
            })
            .catch(async (err) => {
              this.logger.error({ err, ...placement }, 'provisioning failed unexpectedly');
              // RunInstances may have been sent (e.g. the database failed while recording its answer):
              // count it as a try, so that the next one looks for the instances by tag first
              await this.claims.markTried(placement).catch(() => undefined);
            })
            .finally(() => this.claims.release(placement));
        const site = work.sites.get(queue[0]!.siteId)!;
        let driver: ComputeDriver;
        try {
          driver = this.drivers.forSite(this.sites.connectionOf(site));
        } catch (err) {
          await Promise.all(queue.map((placement) => finish(placement, Promise.reject(err))));
          return;
        }
        const recorder = new Batcher<Answer>((answers) => this.recordAnswers(site, driver, answers));
        const recording: Promise<void>[] = [];
        const worker = async () => {
          // once stopping, placements not yet started stay in the queue; the shutdown hands their claims back
          for (let next = this.stopping ? undefined : queue.shift(); next; next = this.stopping ? undefined : queue.shift()) {
            const placement = next;
            const answered = this.provision(placement, work.of(placement), site, driver);
            // the next call to the site need not wait for this answer's batch to be recorded
            const done = answered.then((outcome) => ('started' in outcome ? recorder.add({ placement, started: outcome.started }).then(() => false) : outcome.wentBack));
            recording.push(finish(placement, done));
            await answered.catch(() => undefined); // reported by finish
          }
        };
        await Promise.all(Array.from({ length: Math.min(this.config.SKYPOOL_SITE_CONCURRENCY, queue.length) }, worker));
        await Promise.all(recording);
      }),
    );
    const [{ next }] = await this.db.manager.query(`SELECT min(next_attempt_at) AS next FROM instance WHERE state = 'REQUESTED' AND next_attempt_at > $1`, [this.clock.now()]);
    return { started: placements.length > 0, requeued, nextRetryAt: next ?? null };
  }

  /** Set at shutdown: the calls under way finish, no new placement is started. */
  private stopping = false;

  /** Starts no more placements (those under way finish); for a graceful shutdown. */
  stop(): void {
    this.stopping = true;
  }

  /** What the claimed placements need, read at once: their requests, their sites, and the rows claimed for each. */
  private async workFor(placements: Placement[]): Promise<{ sites: Map<string, Site>; of: (placement: Placement) => PlacementWork }> {
    if (placements.length === 0) return { sites: new Map(), of: () => ({ request: undefined, rows: [] }) };
    const manager = this.db.manager;
    const requestIds = [...new Set(placements.map((p) => p.requestId))];
    const [requests, sites, rows] = await Promise.all([
      manager.getRepository(ResourceRequest).findBy({ id: In(requestIds) }),
      manager.getRepository(Site).findBy({ id: In([...new Set(placements.map((p) => p.siteId))]) }),
      manager.getRepository(Instance).find({ where: { requestId: In(requestIds), state: 'REQUESTED', claimedBy: this.claims.owner } }),
    ]);
    const requestById = new Map(requests.map((r) => [r.id, r]));
    const rowsOf = groupBy(rows, (row) => `${row.requestId}/${row.attempt}/${row.siteId}`);
    return {
      sites: new Map(sites.map((s) => [s.id, s])),
      of: (p) => ({ request: requestById.get(p.requestId), rows: rowsOf.get(`${p.requestId}/${p.attempt}/${p.siteId}`) ?? [] }),
    };
  }

  /**
   * Calls the site for the placement. Resolves to the instances to record (started, or found from
   * an earlier try), or to whether the placement failed over (its request went back to the
   * allocator) when there is nothing to record.
   */
  private async provision(placement: Placement, { request, rows }: PlacementWork, site: Site, driver: ComputeDriver): Promise<CallOutcome> {
    if (!request || rows.length === 0) return { wentBack: false };

    // a retry, or a placement another process may have sent before it stopped: the instances may exist
    if (placement.tries > 0 || placement.resumed) {
      const earlier = await this.findEarlierLaunch(driver, placement);
      if (earlier === undefined) return { wentBack: await this.retryLater(placement, site, rows, new ComputeError('transient', 'UNREACHABLE', `site ${site.name} did not answer DescribeInstances`)) };
      if (earlier.length > 0) {
        this.logger.info({ ...placement, site: site.name, siteInstanceIds: earlier.map((i) => i.siteInstanceId) }, 'adopting instances an earlier try started');
        return { started: earlier };
      }
    }

    const imageId = site.images.find((m) => m.image === request.image)?.imageId;
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
        tags: instanceTags(this.deployment.id, request, placement.attempt),
        tagMode: site.tagMode,
        network: site.network,
      });
    } catch (err) {
      const error = err instanceof ComputeError ? err : new ComputeError('transient', 'UNKNOWN', String(err));
      if (error.category === 'malformed') return { wentBack: await this.outcomeUnknown(placement, site, driver, rows, error) };
      if (['transient', 'throttling', 'auth'].includes(error.category)) {
        await this.health.record(site.id, { ok: false, latencyMs: null, category: error.category, message: error.message, detail: error.detail });
      }
      if (error.startedInstances.length > 0) {
        // started but not tagged: keep them (recorded by id) rather than lose track of them
        this.logger.warn({ ...placement, site: site.name, err: error.message }, 'instances started but could not be tagged');
        return { started: error.startedInstances };
      }
      if (error.category === 'transient' || error.category === 'throttling') return { wentBack: await this.retryLater(placement, site, rows, error) };
      // At a site that ignores ClientToken an earlier send of this placement (a retry after a lost or
      // unreadable reply, or a send by a broker process that stopped) may have started its instances
      // before this one was refused (e.g. for capacity those very instances use). Adopt them rather
      // than fail a placement that started.
      const earlier = error.category === 'auth' ? [] : await this.findEarlierLaunch(driver, placement);
      if (earlier && earlier.length > 0) {
        this.logger.info({ ...placement, site: site.name, code: error.code, siteInstanceIds: earlier.map((i) => i.siteInstanceId) }, 'RunInstances was refused, but an earlier send had started the instances: adopting them');
        return { started: earlier };
      }
      return { wentBack: await this.fail(placement, site, rows, error) };
    }
    return { started: created };
  }

  /**
   * Records a batch of a site's answers in one transaction (see pairMany), handing back their
   * placements' claims with it, then terminates what is not wanted.
   */
  private async recordAnswers(site: Site, driver: ComputeDriver, answers: Answer[]): Promise<void> {
    const unwanted = await this.db.transaction(async (manager) => {
      const unwanted = await this.pairMany(manager, site, answers.map(({ placement, started }) => ({ placement, created: started, whole: true })));
      await this.claims.releaseIn(manager, answers.map((a) => a.placement));
      return unwanted.flat();
    });
    await this.terminateUnwanted(site, driver, unwanted, { placements: answers.length });
  }

  private async terminateUnwanted(site: Site, driver: ComputeDriver, unwanted: string[], context: Record<string, unknown>): Promise<void> {
    if (unwanted.length === 0) return;
    this.logger.warn({ ...context, site: site.name, siteInstanceIds: unwanted }, 'terminating instances that are no longer wanted');
    await driver.terminateInstances(unwanted).catch((err) => this.logger.warn({ err: String(err), site: site.name }, 'terminate failed; the reconciler will retry'));
  }

  /**
   * RunInstances was answered, but the answer cannot be read (an EC2 dialect the SDK does not parse):
   * the instances may well have started. They are looked up by tag at once and recorded. The site
   * answered, so this does not count against its health; the reply is counted apart. What the
   * lookup does not find yet (a site may list new instances a little late) is looked for again,
   * before any resend, at the next try.
   */
  private async outcomeUnknown(placement: Placement, site: Site, driver: ComputeDriver, rows: Instance[], error: ComputeError): Promise<boolean> {
    await this.health.recordMalformedReply(site, error.message);
    const found = await this.findEarlierLaunch(driver, placement);
    if (found && found.length > 0) {
      this.logger.info({ ...placement, site: site.name, siteInstanceIds: found.map((i) => i.siteInstanceId) }, 'the answer to RunInstances could not be read: adopting the instances found by tag');
      await this.record(placement, site, driver, found, { whole: found.length >= rows.length });
      if (found.length >= rows.length) return false;
    }
    return this.retryLater(placement, site, rows, error);
  }

  /** This attempt's live instances at the site, found by tag; undefined when the site does not answer. */
  private async findEarlierLaunch(driver: ComputeDriver, placement: Placement): Promise<SiteInstance[] | undefined> {
    try {
      const found = await driver.describeInstances({ tags: { [TAG_REQUEST]: placement.requestId, [TAG_ATTEMPT]: String(placement.attempt) } });
      return found.filter(isLive);
    } catch {
      return undefined;
    }
  }

  /**
   * Pairs what the site started with the placement's rows, in a transaction of its own, then
   * terminates what is not wanted (see pairMany).
   */
  async record(placement: Pick<Placement, 'requestId' | 'attempt' | 'siteId'>, site: Site, driver: ComputeDriver, created: SiteInstance[], options = { whole: true }): Promise<void> {
    const unwanted = await this.db.transaction((manager) => this.pair(manager, placement, site, created, options));
    await this.terminateUnwanted(site, driver, unwanted, placement);
  }

  /** pairMany for one placement. */
  async pair(manager: EntityManager, placement: Pick<Placement, 'requestId' | 'attempt' | 'siteId'>, site: Site, created: SiteInstance[], options = { whole: true }): Promise<string[]> {
    const [unwanted] = await this.pairMany(manager, site, [{ placement, created, whole: options.whole }]);
    return unwanted!;
  }

  /**
   * Within the caller's transaction: pairs what the site started for each placement with the
   * placement's rows, which it locks (all the requests first, then their instances). A row ended
   * meanwhile (the request was cancelled while RunInstances was under way) keeps the id, and its
   * instance is to be terminated. `whole`: `created` is all the placement will ever get (an answer
   * to RunInstances or a search by tag), so rows left without an instance fail; the reconciler
   * adopts what it happens to find. Then each request is settled. Returns, per placement, the site
   * instance ids to terminate.
   */
  async pairMany(manager: EntityManager, site: Site, pairings: Pairing[]): Promise<string[][]> {
    const now = this.clock.now();
    const requests = await lockRequests(manager, [...new Set(pairings.map((p) => p.placement.requestId))]);
    const instancesOf = groupBy(requests.length > 0 ? await lockInstancesOfRequests(manager, requests) : [], (i) => i.requestId);
    const moves: InstanceMove[] = [];
    const endedMeanwhile: { row: Instance; siteInstanceId: string }[] = [];
    const unwanted = pairings.map(({ placement, created, whole }) => {
      const rows = (instancesOf.get(placement.requestId) ?? []).filter((r) => r.attempt === placement.attempt && r.siteId === placement.siteId);
      const known = new Set(rows.map((r) => r.siteInstanceId).filter(Boolean));
      const fresh = created.filter((c) => !known.has(c.siteInstanceId));
      const ended: string[] = [];
      const paired = new Set<Instance>();
      for (const row of rows.filter((r) => r.siteInstanceId === null)) {
        const remote = fresh.shift();
        if (!remote) break;
        paired.add(row);
        if (row.state === 'REQUESTED') {
          const seen = { siteInstanceId: remote.siteInstanceId, privateIp: remote.privateIp ?? null, publicIp: remote.publicIp ?? null, pendingSince: now };
          moves.push({ instance: row, to: 'PENDING', patch: { ...seen, claimedBy: null, claimedUntil: null }, why: `started at ${site.name}` });
        } else {
          endedMeanwhile.push({ row, siteInstanceId: remote.siteInstanceId });
          ended.push(remote.siteInstanceId);
        }
      }
      // the site started fewer than asked (MinCount was the whole placement, so this is a site's fault): fail the rest
      if (whole && created.length > 0) {
        const reason = `site ${site.name} started fewer instances than asked`;
        for (const row of rows.filter((r) => r.state === 'REQUESTED' && r.siteInstanceId === null && !paired.has(r))) {
          moves.push({ instance: row, to: 'FAILED', patch: { endedAt: now, failureCode: 'SITE_REJECTED', failureReason: reason }, why: reason });
        }
      }
      return [...ended, ...fresh.map((f) => f.siteInstanceId)]; // fresh leftovers: more than was asked for
    });
    await this.lifecycle.moveInstances(manager, moves);
    for (const { row, siteInstanceId } of endedMeanwhile) {
      await manager.getRepository(Instance).update(row.id, { siteInstanceId });
      row.siteInstanceId = siteInstanceId;
    }
    await this.settlement.settleLocked(manager, requests.map((request) => ({ request, instances: instancesOf.get(request.id) ?? [] })));
    return unwanted;
  }

  /** A transient failure: try again after a backoff, or fail over once the placement is too old. */
  private async retryLater(placement: Placement, site: Site, rows: Instance[], error: ComputeError): Promise<boolean> {
    const age = this.clock.now().getTime() - Math.min(...rows.map((r) => r.createdAt.getTime()));
    if (age >= this.config.SKYPOOL_PROVISION_TIMEOUT_SECONDS * 1000) return this.fail(placement, site, rows, error);
    const tries = placement.tries + 1;
    const nextAttemptAt = new Date(this.clock.now().getTime() + backoffMs(tries));
    await this.db.manager.getRepository(Instance).update({ id: In(rows.map((r) => r.id)), state: 'REQUESTED' }, { tries, nextAttemptAt });
    this.logger.warn({ ...placement, site: site.name, tries, nextAttemptAt, code: error.code, err: error.message, detail: error.detail }, 'RunInstances failed; will look for its instances and retry with the same ClientToken');
    return false;
  }

  /** Fails the placement's instances over: its request goes back to the allocator (resolves to true). */
  private async fail(placement: Placement, site: Site, rows: Instance[], error: ComputeError): Promise<boolean> {
    const code = reasonCodeOf(error);
    const reason = `site ${site.name}: ${error.message}`;
    this.logger.warn({ ...placement, site: site.name, code: error.code, category: error.category, detail: error.detail }, 'RunInstances failed; the request goes back to the allocator');
    await this.db.transaction(async (manager) => {
      const request = await lockRequest(manager, placement.requestId);
      if (!request) return;
      const current = await lockInstancesOf(manager, request, { id: In(rows.map((r) => r.id)), state: 'REQUESTED', siteInstanceId: IsNull() });
      for (const row of current) await this.lifecycle.moveInstance(manager, row, 'FAILED', { endedAt: this.clock.now(), failureCode: code, failureReason: reason }, reason);
      await this.settlement.settle(manager, placement.requestId);
    });
    return true;
  }
}
