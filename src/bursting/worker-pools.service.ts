import { Inject, Injectable } from '@nestjs/common';
import { In, IsNull, type EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { isUuid, optionalInteger, requireInteger, requireNumber, requirePattern, requireText, rejectUnstorable } from '../common/validation.js';
import { Db, isUniqueViolation } from '../database/db.js';
import { AccessPolicy } from '../identity/access-policy.js';
import type { Principal } from '../identity/principal.js';
import { ProjectsService } from '../allocations/projects.service.js';
import { MAX_LEASE_HOURS } from '../requests/request-input.js';
import { WAITING_STATES, type RequestState } from '../requests/request-state.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { RequestsService } from '../requests/requests.service.js';
import { BurstingError, BurstingErrorCode } from './bursting.errors.js';
import type { CreateWorkerPoolInput, WorkerPoolView } from './dto/worker-pool.types.js';
import { WorkerPoolMember } from './entities/worker-pool-member.entity.js';
import { WorkerPool } from './entities/worker-pool.entity.js';

const POOL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const MAX_POOL_SIZE = 1000;

/** A member counts towards the pool while its request waits, starts or runs; ended ones are replaced. */
const LIVE_STATES: RequestState[] = [...WAITING_STATES, 'PROVISIONING', 'RUNNING'];

/** The pool submits its members itself, as a principal acting in its project only. */
export function poolPrincipal(pool: WorkerPool): Principal {
  return { id: `pool:${pool.id}`, kind: 'system', name: `worker pool ${pool.name}`, grants: [{ role: 'RESEARCHER', projectId: pool.projectId }] };
}

@Injectable()
export class WorkerPoolsService {
  constructor(
    private readonly db: Db,
    private readonly requests: RequestsService,
    private readonly projects: ProjectsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The caller has been checked for the project. */
  async create(principal: Principal, input: CreateWorkerPoolInput): Promise<WorkerPool> {
    requirePattern('name', input.name, POOL_NAME, '1-63 letters, digits, "_", "." and "-", starting with a letter or digit');
    requireText('image', input.image, 128);
    requireInteger('vcpus', input.vcpus, 1, 1024);
    requireInteger('memoryMiB', input.memoryMiB, 1, 64 * 1024 * 1024);
    optionalInteger('gpus', input.gpus, 0, 64);
    rejectUnstorable('userData', input.userData);
    requireNumber('leaseHours', input.leaseHours, { min: 0, max: MAX_LEASE_HOURS, exclusiveMin: true });
    optionalInteger('minSize', input.minSize, 0, MAX_POOL_SIZE);
    const minSize = input.minSize ?? 0;
    requireInteger('maxSize', input.maxSize, Math.max(1, minSize), MAX_POOL_SIZE);
    const desiredSize = input.desiredSize ?? minSize;
    requireInteger('desiredSize', desiredSize, minSize, input.maxSize);
    await this.projects.get(input.projectId);
    const pools = this.db.manager.getRepository(WorkerPool);
    try {
      return await pools.save(
        pools.create({
          projectId: input.projectId,
          name: input.name,
          createdBy: principal.id,
          image: input.image.trim(),
          vcpus: input.vcpus,
          memoryMib: input.memoryMiB,
          gpus: input.gpus ?? 0,
          userData: input.userData ?? null,
          leaseHours: input.leaseHours,
          minSize,
          maxSize: input.maxSize,
          desiredSize,
        }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw BurstingError.about(BurstingErrorCode.PoolNameTaken, 'name', `the project has a worker pool named ${input.name} already`);
      throw err;
    }
  }

  async get(id: string): Promise<WorkerPool> {
    const pool = await this.find(id);
    if (!pool) throw BurstingError.poolNotFound(id);
    return pool;
  }

  find(id: string): Promise<WorkerPool | null> {
    return isUuid(id) ? this.db.manager.getRepository(WorkerPool).findOneBy({ id }) : Promise.resolve(null);
  }

  /** The caller has been checked for the pool's project. */
  async setSize(id: string, desiredSize: number): Promise<WorkerPool> {
    return this.db.transaction(async (manager) => {
      const pool = await manager.getRepository(WorkerPool).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!pool) throw BurstingError.poolNotFound(id);
      if (pool.state !== 'ACTIVE') throw new BurstingError(BurstingErrorCode.PoolDeleted, `worker pool ${pool.name} was deleted`);
      if (!Number.isInteger(desiredSize) || desiredSize < pool.minSize || desiredSize > pool.maxSize) {
        throw BurstingError.about(BurstingErrorCode.InvalidPool, 'desiredSize', `must be a whole number from the pool's minSize ${pool.minSize} to its maxSize ${pool.maxSize}, got ${desiredSize}`);
      }
      pool.desiredSize = desiredSize;
      return manager.getRepository(WorkerPool).save(pool);
    });
  }

  /** Marks the pool deleted; the keeper ends its members. Deleting it again changes nothing. */
  async delete(id: string): Promise<WorkerPool> {
    const pool = await this.get(id);
    if (pool.state === 'DELETED') return pool;
    pool.state = 'DELETED';
    pool.desiredSize = 0;
    return this.db.manager.getRepository(WorkerPool).save(pool);
  }

  /** The pools of the project named (checked), else of every project the principal may see; deleted ones are left out. */
  async listVisible(principal: Principal, projectId: string | null): Promise<WorkerPool[]> {
    const projectIds = projectId ? [projectId] : AccessPolicy.visibleProjects(principal) === 'all' ? null : (await this.projects.listVisible(principal)).map((p) => p.id);
    return this.db.manager.getRepository(WorkerPool).find({
      where: { state: 'ACTIVE', ...(projectIds ? { projectId: In(projectIds) } : {}) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Every pool with members to keep, or (deleted) still to end. */
  poolsToKeep(): Promise<WorkerPool[]> {
    return this.db.manager.getRepository(WorkerPool).find({ where: [{ state: 'ACTIVE' }, { state: 'DELETED', emptiedAt: IsNull() }] });
  }

  /** The pool's members that still count, oldest first. */
  async liveMembers(pool: WorkerPool): Promise<ResourceRequest[]> {
    const members = await this.db.manager.getRepository(WorkerPoolMember).find({ where: { poolId: pool.id }, order: { createdAt: 'ASC' } });
    const requests = new Map((await this.requests.findMany(members.map((m) => m.requestId))).map((r) => [r.id, r]));
    return members.map((m) => requests.get(m.requestId)).filter((r): r is ResourceRequest => r !== undefined && LIVE_STATES.includes(r.state));
  }

  /**
   * One keeping pass over a pool: submits members it lacks, ends the newest it has too many of.
   * Safe to run in several broker processes at once: the n-th member is submitted with the
   * idempotency key `member-n`, so two passes that both see a member missing submit the same one.
   */
  async keep(pool: WorkerPool): Promise<void> {
    const live = await this.liveMembers(pool);
    if (pool.state === 'DELETED' && live.length === 0) {
      await this.db.manager.getRepository(WorkerPool).update({ id: pool.id }, { emptiedAt: this.clock.now() });
      return;
    }
    const principal = poolPrincipal(pool);
    for (const extra of live.slice(pool.desiredSize).reverse()) {
      await this.requests.cancel(principal, extra.id).catch(() => undefined); // ending already: nothing to do
    }
    for (let n = pool.submitted + 1; n <= pool.submitted + pool.desiredSize - live.length; n++) {
      const outcome = await this.requests.submit(principal, {
        projectId: pool.projectId,
        image: pool.image,
        vcpus: pool.vcpus,
        memoryMiB: pool.memoryMib,
        gpus: pool.gpus,
        leaseHours: pool.leaseHours,
        userData: pool.userData,
        idempotencyKey: `member-${n}`,
      });
      if (!(outcome instanceof ResourceRequest)) {
        await this.db.manager.getRepository(WorkerPool).update({ id: pool.id }, { refusal: outcome.message });
        return;
      }
      await this.db.transaction(async (manager: EntityManager) => {
        await manager.createQueryBuilder().insert().into(WorkerPoolMember).values({ poolId: pool.id, requestId: outcome.id }).orIgnore().execute();
        await manager.query('UPDATE worker_pool SET submitted = GREATEST(submitted, $2), refusal = NULL WHERE id = $1', [pool.id, n]);
      });
    }
  }

  /** What the API shows of a pool: how many run and, when some are missing, why. */
  async view(pool: WorkerPool): Promise<WorkerPoolView> {
    const live = await this.liveMembers(pool);
    const running = live.filter((r) => r.state === 'RUNNING').length;
    const waiting = live.find((r) => r.state !== 'RUNNING');
    let reason: string | null = null;
    if (running < pool.desiredSize) {
      reason = pool.refusal ?? (waiting ? `${pool.desiredSize - running} of ${pool.desiredSize} not running: ${waiting.reason ?? waiting.state.toLowerCase()}` : `${pool.desiredSize - running} of ${pool.desiredSize} to be submitted`);
    }
    return {
      id: pool.id,
      projectId: pool.projectId,
      name: pool.name,
      state: pool.state,
      image: pool.image,
      vcpus: pool.vcpus,
      memoryMiB: pool.memoryMib,
      gpus: pool.gpus,
      leaseHours: pool.leaseHours,
      minSize: pool.minSize,
      maxSize: pool.maxSize,
      desiredSize: pool.desiredSize,
      running,
      reason,
      createdAt: pool.createdAt,
      memberIds: [...live].reverse().map((r) => r.id),
    };
  }
}
