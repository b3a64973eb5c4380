import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, type EntityManager } from 'typeorm';
import { evaluate } from '../allocator/core/allocator.js';
import { withReservation } from '../allocator/core/reservation.js';
import type { InstanceTypeOffer, ProjectState, SiteVerdict, WaitingRequest } from '../allocator/core/allocator.types.js';
import { CONFIG, type Config } from '../config/config.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { isUuid, requireCursor } from '../common/validation.js';
import { WorkSignals } from '../common/work-signals.js';
import { Db, isUniqueViolation } from '../database/db.js';
import type { PreparedStatement } from '../database/prepared.js';
import type { Principal } from '../identity/principal.js';
import { ProjectsService } from '../allocations/projects.service.js';
import type { Site } from '../sites/entities/site.entity.js';
import { siteStateOf } from '../sites/site-state.js';
import { SitesService } from '../sites/sites.service.js';
import { toSiteView } from '../sites/site-view.js';
import {
  InvalidRequestError,
  QuotaExceededError,
  type InstanceView,
  type QuotaUseView,
  type RequestPlanView,
  type ResourceRequestView,
  type SiteVerdictView,
  type SubmitRequestInput,
  type TagInput,
} from './dto/request.types.js';
import { Instance } from './entities/instance.entity.js';
import { RequestEvent } from './entities/request-event.entity.js';
import { ResourceRequest } from './entities/resource-request.entity.js';
import { loadFederationState, loadProjectLimits } from './federation-state.js';
import { allocatorPolicyOf, gangsWaiting, reservationNow } from './gang-reservation.js';
import { assessRequest } from './request-assessment.js';
import { normalizeRequestInput, validNote, validTags, type NormalizedRequest } from './request-input.js';
import { parseRequirement } from './requirements.js';
import { RequestLeases } from './request-leases.js';
import { RequestLifecycle, type NewRequest } from './request-lifecycle.js';
import { INSTANCE_VIEW_COLUMNS, instanceViewOfRow, REQUEST_VIEW_COLUMNS, requestViewOfRow, type InstanceViewRow, type RequestViewRow } from './request-views.js';
import type { RequestState } from './request-state.js';
import { avoidedSites, heldInstances, toWaitingRequest } from './waiting-requests.js';
import { RequestsError } from './requests.errors.js';

export type SubmitOutcome = ResourceRequest | InvalidRequestError | QuotaExceededError;

const INSTANCE_VIEWS_OF_REQUESTS: PreparedStatement = {
  name: 'instance_views_of_requests',
  text: `SELECT ${INSTANCE_VIEW_COLUMNS} FROM instance i WHERE i.request_id = ANY($1::uuid[]) ORDER BY i.created_at, i.id`,
};

function toVerdictView(v: SiteVerdict): SiteVerdictView {
  return { siteId: v.siteId, verdict: v.code, reason: v.reason, instanceType: v.instanceType?.name ?? null, fits: v.fits, borrowed: v.borrowed };
}

/** The project's limits and budgets, with what `count` instances of `type` over `leaseHours` would add. */
function quotaUse(project: ProjectState, type: InstanceTypeOffer, count: number, leaseHours: number): QuotaUseView[] {
  return [
    { limit: 'vcpus', inUse: project.used.vcpus, requested: type.vcpus * count, allowed: project.limits.vcpus },
    { limit: 'memoryMiB', inUse: project.used.memoryMiB, requested: type.memoryMiB * count, allowed: project.limits.memoryMiB },
    { limit: 'gpus', inUse: project.used.gpus, requested: type.gpus * count, allowed: project.limits.gpus },
    { limit: 'instances', inUse: project.used.instances, requested: count, allowed: project.limits.instances },
    { limit: 'coreHours', inUse: project.promisedCoreHours, requested: type.vcpus * count * leaseHours, allowed: project.coreHoursLeft },
    { limit: 'gpuHours', inUse: project.promisedGpuHours, requested: type.gpus * count * leaseHours, allowed: project.gpuHoursLeft },
  ];
}

/**
 * The limit the request would exceed or, if none, the one it leaves the smallest share of. Only
 * what the request uses can bind: a request without GPUs is never held by a GPU limit of 0.
 */
function bindingLimitOf(quota: QuotaUseView[]): string | null {
  const bounded = quota.filter((q) => q.allowed !== null && q.requested > 0);
  // a limit with nothing allowed (a budget may be overspent) binds first, the most over it first; the others by the share they leave
  const over = (q: QuotaUseView) => q.allowed! - q.inUse - q.requested;
  const spent = (q: QuotaUseView) => Number(q.allowed! <= 0);
  const byShareLeft = (a: QuotaUseView, b: QuotaUseView) =>
    spent(a) || spent(b) ? spent(b) - spent(a) || over(a) - over(b) : over(a) / a.allowed! - over(b) / b.allowed!;
  return bounded.sort(byShareLeft)[0]?.limit ?? null;
}

@Injectable()
export class RequestsService {
  constructor(
    private readonly db: Db,
    private readonly lifecycle: RequestLifecycle,
    private readonly signals: WorkSignals,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly projects: ProjectsService,
    private readonly leases: RequestLeases,
    private readonly sites: SitesService,
  ) {}

  /**
   * Every site, and these projects where they have an allocation in force, as the allocator's
   * cycle sees them: `statesWithHold` are the sites' states less the capacity held for a gang
   * (whose project is read too, to choose it), `states` those without the hold.
   */
  private async federationAsTheCycleSeesIt(manager: EntityManager, now: Date, projectIds: string[]) {
    const policy = allocatorPolicyOf(this.config);
    const gangs = await gangsWaiting(manager, now, policy, this.config.SKYPOOL_COOL_DOWN_MINUTES);
    const federation = await loadFederationState(manager, now, this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS, { projectIds: [...new Set([...projectIds, ...gangs.map((g) => g.projectId)])] });
    const states = federation.sites.map((s) => s.state);
    return { ...federation, policy, states, statesWithHold: withReservation(states, reservationNow(gangs, federation.projects, states, policy, now)) };
  }

  private findByIdempotencyKey(principal: Principal, key: string): Promise<ResourceRequest | null> {
    return this.db.manager.getRepository(ResourceRequest).findOneBy({ submittedBy: principal.id, idempotencyKey: key });
  }

  /** The caller has been checked for the project. */
  async submit(principal: Principal, input: SubmitRequestInput): Promise<SubmitOutcome> {
    const request = normalizeRequestInput(input);
    if (request.idempotencyKey) {
      const earlier = await this.findByIdempotencyKey(principal, request.idempotencyKey);
      if (earlier) return earlier;
    }
    const refusal = await this.assess(request);
    if (refusal) return refusal;

    let saved: ResourceRequest;
    try {
      saved = await this.lifecycle.submit(this.db.manager, this.newRequest(principal, request), `submitted by ${principal.name}`);
    } catch (err) {
      // the same idempotency key raced in from a retry: answer with the request that won
      if (request.idempotencyKey && isUniqueViolation(err)) return (await this.findByIdempotencyKey(principal, request.idempotencyKey))!;
      throw err;
    }
    this.logger.info({ requestId: saved.id, projectId: saved.projectId, count: saved.count, vcpus: saved.vcpus, by: principal.id }, 'request submitted');
    this.signals.emit('requests-waiting');
    return saved;
  }

  /**
   * Whether the request could ever run, judged without what is in use or promised (the allocator
   * judges those). The sites as read a few seconds ago serve to accept it; a refusal is confirmed
   * on the sites as they are now, so a site just added or changed by another broker process is
   * never refused for. (One accepted for a site removed meanwhile waits, as one submitted just
   * before the removal would.)
   */
  private async assess(request: NormalizedRequest): Promise<InvalidRequestError | QuotaExceededError | undefined> {
    const [project, recent] = await Promise.all([
      loadProjectLimits(this.db.manager, this.clock.now(), this.config.SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS, request.projectId),
      this.sites.recentLiveSites(),
    ]);
    const assessOn = (sites: Site[]) => assessRequest(request, sites.map((site) => siteStateOf(site)), project);
    try {
      if (!assessOn(recent)) return undefined;
    } catch {
      // an unknown name, say: told from the sites as they are now
    }
    return assessOn(await this.sites.list());
  }

  private newRequest(principal: Principal, r: NormalizedRequest): NewRequest {
    return {
      projectId: r.projectId,
      submittedBy: principal.id,
      idempotencyKey: r.idempotencyKey,
      image: r.image,
      vcpus: r.vcpus,
      memoryMib: r.memoryMiB,
      gpus: r.gpus,
      count: r.count,
      minCount: r.minCount,
      leaseHours: r.leaseHours,
      sites: r.sites,
      requirements: r.requirements,
      preferredSites: r.preferredSites,
      spanSites: r.spanSites,
      userData: r.userData,
      sshPublicKey: r.sshPublicKey,
      tags: r.tags,
    };
  }

  /** What would happen to this request now, without submitting it. */
  async plan(input: SubmitRequestInput): Promise<RequestPlanView> {
    const request = normalizeRequestInput(input);
    const now = this.clock.now();
    const federation = await this.federationAsTheCycleSeesIt(this.db.manager, now, [request.projectId]);
    const { states, policy } = federation;
    const project = federation.projects.find((p) => p.id === request.projectId);
    const plan = { estimatedCoreHours: request.vcpus * request.count * request.leaseHours, estimatedGpuHours: request.gpus * request.count * request.leaseHours };
    const refusal = assessRequest(request, states, project);
    if (refusal) {
      const reasonCode = refusal instanceof QuotaExceededError ? (refusal.limit.endsWith('Hours') ? 'BUDGET' : 'QUOTA') : 'INVALID_REQUEST';
      const bindingLimit = refusal instanceof QuotaExceededError ? refusal.limit : null;
      return { ...plan, feasible: false, reason: refusal.message, reasonCode, candidates: [], quota: [], bindingLimit, explain: [] };
    }
    const waiting: WaitingRequest = { ...request, id: 'plan', requirements: request.requirements.map(parseRequirement), held: 0, avoidSites: [], createdAt: now };
    // as the cycle would see it: with what the sites hold for a gang
    const { decision, verdicts } = evaluate(waiting, project, federation.statesWithHold, policy);
    const byId = new Map(federation.sites.map((s) => [s.site.id, s.site]));
    const fitting = verdicts.filter((v) => v.code === 'FITS');
    // the type it would get: where it would go, else the smallest any site would use
    const type =
      decision.kind === 'place'
        ? decision.placements[0]!.instanceType
        : verdicts.map((v) => v.instanceType).filter((t): t is InstanceTypeOffer => t !== null).sort((a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB)[0];
    const placed = decision.kind === 'place' ? decision.placements.reduce((n, p) => n + p.count, 0) : request.count;
    const quota = project && type ? quotaUse(project, type, placed, request.leaseHours) : [];
    return {
      feasible: true,
      reason: decision.kind === 'wait' ? `would wait: ${decision.reason}` : null,
      reasonCode: decision.kind === 'wait' ? decision.reasonCode : null,
      candidates: fitting.map((v, i) => ({ site: toSiteView(byId.get(v.siteId)!), instanceType: v.instanceType!.name, rank: i + 1, count: v.fits, borrowed: v.borrowed > 0 })),
      estimatedCoreHours: type ? type.vcpus * placed * request.leaseHours : plan.estimatedCoreHours,
      estimatedGpuHours: type ? type.gpus * placed * request.leaseHours : plan.estimatedGpuHours,
      quota,
      bindingLimit: bindingLimitOf(quota),
      explain: verdicts.map(toVerdictView),
    };
  }

  /**
   * Every site's verdict for each request that waits for placement (or runs short of instances);
   * none for the others. A page of requests is explained in one pass: the federation's state is
   * read once for all of them, and each request is evaluated against it on its own.
   */
  async explainMany(requestIds: readonly string[]): Promise<SiteVerdictView[][]> {
    const manager = this.db.manager;
    const ids = requestIds.filter(isUuid);
    const [requests, held] = await Promise.all([manager.getRepository(ResourceRequest).findBy({ id: In(ids) }), heldInstances(manager, ids)]);
    const waiting = requests.filter((r) => r.state === 'PENDING' || r.state === 'QUEUED' || (r.state === 'RUNNING' && (held.get(r.id) ?? 0) < r.count));
    const verdicts = new Map<string, SiteVerdictView[]>();
    if (waiting.length > 0) {
      const now = this.clock.now();
      const [federation, avoided] = await Promise.all([
        this.federationAsTheCycleSeesIt(manager, now, waiting.map((r) => r.projectId)),
        avoidedSites(manager, waiting.map((r) => r.id), now, this.config.SKYPOOL_COOL_DOWN_MINUTES),
      ]);
      const projectById = new Map(federation.projects.map((p) => [p.id, p]));
      for (const request of waiting) {
        const asWaiting = toWaitingRequest(request, held.get(request.id) ?? 0, avoided.get(request.id) ?? [], now);
        const evaluation = evaluate(asWaiting, projectById.get(request.projectId), federation.statesWithHold, federation.policy);
        verdicts.set(request.id, evaluation.verdicts.map(toVerdictView));
      }
    }
    return requestIds.map((id) => verdicts.get(id) ?? []);
  }

  async get(id: string): Promise<ResourceRequest> {
    const request = await this.find(id);
    if (!request) throw RequestsError.notFound(id);
    return request;
  }

  find(id: string): Promise<ResourceRequest | null> {
    return isUuid(id) ? this.db.manager.getRepository(ResourceRequest).findOneBy({ id }) : Promise.resolve(null);
  }

  /** These requests, in no particular order; ids that name none are left out. */
  findMany(ids: readonly string[]): Promise<ResourceRequest[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.db.manager.getRepository(ResourceRequest).findBy({ id: In([...ids]) });
  }

  /**
   * The requests the principal may see, newest first: of the project named (the caller was
   * checked for it: Permission.ActInProject), else of every project they may see.
   */
  async listVisible(
    principal: Principal,
    filter: { projectId?: string | null; states?: RequestState[] | null; tags?: TagInput[] | null; first: number; after?: string | null },
  ): Promise<ResourceRequestView[]> {
    const tags = validTags(filter.tags);
    const projectIds = filter.projectId ? [filter.projectId] : await this.projects.visibleIds(principal); // null: a federation admin sees every project
    return this.list({ ...filter, projectIds, tags });
  }

  /**
   * Newest first, keyset-paged by id: `after` is the last id of the previous page. `tags`: only
   * requests carrying all of them. Plain SQL of the view's columns, since pages are read all day.
   */
  async list(filter: { projectIds: string[] | null; states?: RequestState[] | null; tags?: Record<string, string>; first: number; after?: string | null }): Promise<ResourceRequestView[]> {
    // each filter given adds its condition, and its name to the statement's, so each shape is prepared once
    const values: unknown[] = [];
    const conditions: string[] = [];
    const names: string[] = [];
    const placeholder = (value: unknown) => `$${values.push(value)}`;
    if (filter.projectIds) {
      conditions.push(`r.project_id = ANY(${placeholder(filter.projectIds)}::uuid[])`);
      names.push('projects');
    }
    if (filter.states?.length) {
      conditions.push(`r.state = ANY(${placeholder(filter.states)}::text[])`);
      names.push('states');
    }
    if (filter.tags && Object.keys(filter.tags).length > 0) {
      conditions.push(`r.tags @> ${placeholder(JSON.stringify(filter.tags))}::jsonb`);
      names.push('tags');
    }
    if (filter.after) {
      const cursor = await requireCursor('request', filter.after, (id) => this.find(id));
      conditions.push(`(r.created_at, r.id) < (${placeholder(cursor.createdAt)}::timestamptz, ${placeholder(cursor.id)}::uuid)`);
      names.push('after');
    }
    const text =
      `SELECT ${REQUEST_VIEW_COLUMNS} FROM resource_request r` +
      (conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '') +
      ` ORDER BY r.created_at DESC, r.id DESC LIMIT ${placeholder(filter.first)}`;
    const rows = await this.db.rows<RequestViewRow>({ name: ['requests_page', ...names].join('_'), text }, values);
    return rows.map(requestViewOfRow);
  }

  /** These instances, in no particular order. */
  instancesByIds(ids: readonly string[]): Promise<Instance[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.db.manager.getRepository(Instance).findBy({ id: In([...ids]) });
  }

  /** The views of these requests' instances, oldest first, each with its request's id; plain SQL, for pages of requests. */
  async instanceViewsOf(requestIds: readonly string[]): Promise<(InstanceView & { requestId: string })[]> {
    return (await this.db.rows<InstanceViewRow>(INSTANCE_VIEWS_OF_REQUESTS, [requestIds])).map(instanceViewOfRow);
  }

  /** Oldest first; events stamped with the same time keep the order they were written in (their ids are time-ordered). */
  eventsOf(requestIds: readonly string[]): Promise<RequestEvent[]> {
    return this.db.manager.getRepository(RequestEvent).find({ where: { requestId: In([...requestIds]) }, order: { at: 'ASC', id: 'ASC' } });
  }

  /**
   * Cancels a waiting request, or ends a placed or running one (its instances are terminated at
   * their sites). Cancelling an ended request changes nothing, so a retry is safe.
   */
  async cancel(principal: Principal, id: string): Promise<ResourceRequest> {
    const ending = await this.db.transaction(async (manager) => {
      const request = await manager.getRepository(ResourceRequest).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!request) throw RequestsError.notFound(id);
      if (request.state === 'PENDING' || request.state === 'QUEUED') {
        await this.lifecycle.moveRequest(manager, request, 'CANCELLED', { reason: `cancelled by ${principal.name}` });
        return false;
      }
      return this.lifecycle.endRequest(manager, request, { reason: `cancelled by ${principal.name}` }, 'request cancelled');
    });
    if (ending) this.signals.emit('terminations-ready');
    return this.get(id);
  }

  /**
   * Adds a NOTE to the request's history, as a batch system's program logs what it did (Slurm
   * keeps no output of its programs). Any request may be noted, one that ended too.
   */
  async addNote(requestId: string, note: string): Promise<RequestEvent> {
    const reason = validNote(note);
    return this.db.transaction(async (manager) => {
      const request = await manager.getRepository(ResourceRequest).findOneBy({ id: requestId });
      if (!request) throw RequestsError.notFound(requestId);
      return this.lifecycle.notice(manager, request, 'NOTE', reason);
    });
  }

  /** Extends a RUNNING request's lease (see RequestLeases.extend); the request as it is then. */
  async extendLease(principal: Principal, id: string, hours: number): Promise<ResourceRequest> {
    await this.leases.extend(principal, id, hours);
    return this.get(id);
  }
}
