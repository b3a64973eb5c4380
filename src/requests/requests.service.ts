import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In } from 'typeorm';
import { loadProjectStates, loadSitesWithState, loadSiteStates } from '../allocator/federation-state.js';
import { evaluate } from '../allocator/allocator.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { NotFoundError } from '../common/errors.js';
import { LOGGER } from '../common/logging.js';
import { isUuid } from '../common/validation.js';
import { WorkSignals } from '../common/work-signals.js';
import { Db, isUniqueViolation } from '../database/db.js';
import type { Principal } from '../identity/principal.js';
import { toSiteView } from '../sites/site-view.js';
import { InvalidRequestError, QuotaExceededError, type RequestPlanView, type SubmitRequestInput } from './dto/request.types.js';
import { Instance } from './entities/instance.entity.js';
import { ResourceRequest } from './entities/resource-request.entity.js';
import { HOLDING_STATES } from './instance-state.js';
import { assessRequest } from './request-assessment.js';
import { normalizeRequestInput, type NormalizedRequest } from './request-input.js';
import { RequestLifecycle } from './request-lifecycle.js';
import type { RequestState } from './request-state.js';

export type SubmitOutcome = ResourceRequest | InvalidRequestError | QuotaExceededError;

@Injectable()
export class RequestsService {
  constructor(
    private readonly db: Db,
    private readonly lifecycle: RequestLifecycle,
    private readonly signals: WorkSignals,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

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
    const manager = this.db.manager;
    const [sites, [project]] = await Promise.all([loadSiteStates(manager), loadProjectStates(manager, this.clock.now(), [request.projectId])]);
    const refusal = assessRequest(request, sites, project);
    if (refusal) return refusal;

    let saved: ResourceRequest;
    try {
      saved = await manager.getRepository(ResourceRequest).save(this.newRequest(principal, request));
    } catch (err) {
      // the same idempotency key raced in from a retry: answer with the request that won
      if (request.idempotencyKey && isUniqueViolation(err)) return (await this.findByIdempotencyKey(principal, request.idempotencyKey))!;
      throw err;
    }
    this.logger.info({ requestId: saved.id, projectId: saved.projectId, count: saved.count, vcpus: saved.vcpus, by: principal.id }, 'request submitted');
    this.signals.emit('requests-waiting');
    return saved;
  }

  private newRequest(principal: Principal, r: NormalizedRequest): Partial<ResourceRequest> {
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
      userData: r.userData,
      sshPublicKey: r.sshPublicKey,
      state: 'PENDING',
    };
  }

  /** What would happen to this request now, without submitting it. */
  async plan(input: SubmitRequestInput): Promise<RequestPlanView> {
    const request = normalizeRequestInput(input);
    const manager = this.db.manager;
    const [withState, [project]] = await Promise.all([loadSitesWithState(manager), loadProjectStates(manager, this.clock.now(), [request.projectId])]);
    const sites = withState.map((s) => s.state);
    const estimatedCoreHours = request.vcpus * request.count * request.leaseHours;
    const refusal = assessRequest(request, sites, project);
    if (refusal) return { feasible: false, reason: refusal.message, candidates: [], estimatedCoreHours };
    const evaluation = evaluate({ ...request, id: 'plan', createdAt: this.clock.now() }, project, sites);
    if (evaluation.kind === 'wait') return { feasible: true, reason: `would wait: ${evaluation.reason}`, candidates: [], estimatedCoreHours };
    const byId = new Map(withState.map((s) => [s.site.id, s.site]));
    const best = evaluation.candidates[0]!;
    return {
      feasible: true,
      reason: null,
      candidates: evaluation.candidates.map((c, i) => ({ site: toSiteView(byId.get(c.site.id)!), instanceType: c.type.name, rank: i + 1 })),
      estimatedCoreHours: best.type.vcpus * request.count * request.leaseHours,
    };
  }

  async get(id: string): Promise<ResourceRequest> {
    const request = isUuid(id) ? await this.db.manager.getRepository(ResourceRequest).findOneBy({ id }) : null;
    if (!request) throw new NotFoundError('request', id);
    return request;
  }

  /** Newest first, keyset-paged by id: `after` is the last id of the previous page. */
  async list(filter: { projectIds: string[] | null; states?: RequestState[] | null; first: number; after?: string | null }): Promise<ResourceRequest[]> {
    const qb = this.db.manager.getRepository(ResourceRequest).createQueryBuilder('r').orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').limit(filter.first);
    if (filter.projectIds) qb.andWhere('r.project_id = ANY(:projectIds)', { projectIds: filter.projectIds });
    if (filter.states?.length) qb.andWhere('r.state = ANY(:states)', { states: filter.states });
    if (filter.after) {
      const cursor = await this.get(filter.after);
      qb.andWhere('(r.created_at, r.id) < (:createdAt, :id)', { createdAt: cursor.createdAt, id: cursor.id });
    }
    return qb.getMany();
  }

  instancesOf(requestIds: readonly string[]): Promise<Instance[]> {
    return this.db.manager.getRepository(Instance).find({ where: { requestId: In([...requestIds]) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * Cancels a waiting request, or ends a placed or running one (its instances are terminated at
   * their sites). Cancelling an ended request changes nothing, so a retry is safe.
   */
  async cancel(principal: Principal, id: string): Promise<ResourceRequest> {
    const ending = await this.db.transaction(async (manager) => {
      const request = await manager.getRepository(ResourceRequest).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!request) throw new NotFoundError('request', id);
      if (request.state === 'PENDING' || request.state === 'QUEUED') {
        await this.lifecycle.moveRequest(manager, request, 'CANCELLED', { reason: `cancelled by ${principal.name}` });
        return false;
      }
      if (request.state !== 'PROVISIONING' && request.state !== 'RUNNING') return false;
      const instances = await manager.getRepository(Instance).find({ where: { requestId: id, state: In(HOLDING_STATES) }, lock: { mode: 'pessimistic_write' } });
      for (const instance of instances) {
        if (instance.state !== 'TERMINATING') await this.lifecycle.moveInstance(manager, instance, 'TERMINATING', {}, 'request cancelled');
      }
      await this.lifecycle.moveRequest(manager, request, 'TERMINATING', { reason: `cancelled by ${principal.name}` });
      return true;
    });
    if (ending) this.signals.emit('terminations-ready');
    return this.get(id);
  }
}
