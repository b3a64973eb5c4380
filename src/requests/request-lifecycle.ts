import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, type EntityManager } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { groupBy } from '../common/group-by.js';
import { timeOrderedUuid } from '../common/ids.js';
import { LOGGER } from '../common/logging.js';
import { Notifier } from '../common/notifier.js';
import { StaleStateError } from '../common/state-machine.js';
import { Db } from '../database/db.js';
import { entityFromRow, runPrepared, type PreparedStatement } from '../database/prepared.js';
import { Instance } from './entities/instance.entity.js';
import { RequestEvent } from './entities/request-event.entity.js';
import { ResourceRequest } from './entities/resource-request.entity.js';
import { ALIVE_STATES, instanceStateMachine, type InstanceState } from './instance-state.js';
import { lockInstancesOf } from './request-locks.js';
import { requestStateMachine, type RequestState } from './request-state.js';
import { RequestUpdates } from './request-updates.js';

export interface TransitionDetail {
  reason?: string | null;
  reasonCode?: string | null;
}

/** Rows per statement when many requests move at once. */
const BULK = 1000;

type NewEvent = Partial<RequestEvent> & Pick<RequestEvent, 'requestId' | 'kind'>;

/** What a submission gives of a request; the database fills in the rest (id, attempt 0, times). */
export type NewRequest = Pick<
  ResourceRequest,
  | 'projectId' | 'submittedBy' | 'idempotencyKey' | 'image' | 'vcpus' | 'memoryMib' | 'gpus' | 'count' | 'minCount' | 'leaseHours'
  | 'sites' | 'requirements' | 'preferredSites' | 'spanSites' | 'userData' | 'sshPublicKey' | 'tags'
>;

/** What the allocator decides of an instance it places. */
export type PlacedInstance = Pick<Instance, 'requestId' | 'projectId' | 'siteId' | 'attempt' | 'instanceType' | 'vcpus' | 'memoryMib' | 'gpus' | 'borrowed' | 'leaseEndsAt'>;

/** Placed instances, REQUESTED, one per element of the arrays. */
const PLACE_INSTANCES: PreparedStatement = {
  name: 'place_instances',
  text: `INSERT INTO instance (request_id, project_id, site_id, attempt, instance_type, vcpus, memory_mib, gpus, borrowed, lease_ends_at, state)
         SELECT *, 'REQUESTED' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::int[], $7::int[], $8::int[], $9::boolean[], $10::timestamptz[])`,
};

/** Requests moved, each from the state it was read in ($7): the ids of those moved. */
const MOVE_REQUESTS: PreparedStatement = {
  name: 'move_requests',
  text: `UPDATE resource_request r SET state = u.state, reason = u.reason, reason_code = u.reason_code, attempt = u.attempt, lease_ends_at = u.lease_ends_at, updated_at = now()
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::text[]) AS u(id, state, reason, reason_code, attempt, lease_ends_at, from_state)
          WHERE r.id = u.id AND r.state = u.from_state
          RETURNING r.id`,
};

/** History events, one per element of the arrays. */
const INSERT_EVENTS: PreparedStatement = {
  name: 'insert_request_events',
  text: `INSERT INTO request_event (id, request_id, instance_id, site_id, kind, from_state, to_state, reason, reason_code, at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[])`,
};

/** One instance's state change, with the columns it sets on the way (the same ones for a whole batch of moveInstances). */
export interface InstanceMove {
  instance: Instance;
  to: InstanceState;
  patch: Partial<Instance>;
  why?: string;
}

/** The statements made so far, by the columns they set. */
const moveInstancesStatements = new Map<string, PreparedStatement>();

/**
 * The UPDATE that moves instances and sets these columns (properties of Instance, sorted):
 * $1 ids, $2 the states they were read in, $3 the new states, then one array per column.
 */
function moveInstancesStatement(manager: EntityManager, keys: string[]): PreparedStatement {
  const columnsSet = keys.join(',');
  let statement = moveInstancesStatements.get(columnsSet);
  if (!statement) {
    const metadata = manager.connection.getMetadata(Instance);
    const columns = keys.map((key) => metadata.findColumnWithPropertyName(key)!);
    const sets = columns.map((c) => `${c.databaseName} = u.${c.databaseName}`).join(', ');
    const arrays = columns.map((c, n) => `$${n + 4}::${String(c.type)}[]`).join(', ');
    statement = {
      // a name of at most 63 characters, the same for these columns for as long as the process runs
      name: `move_instances_${moveInstancesStatements.size + 1}`,
      text: `UPDATE instance i SET state = u.state, ${sets ? `${sets}, ` : ''}updated_at = now()
               FROM unnest($1::uuid[], $2::text[], $3::text[]${arrays ? `, ${arrays}` : ''}) AS u(id, from_state, state${columns.map((c) => `, ${c.databaseName}`).join('')})
              WHERE i.id = u.id AND i.state = u.from_state
              RETURNING i.id`,
    };
    moveInstancesStatements.set(columnsSet, statement);
  }
  return statement;
}

/** A request and its first event ($18 its id, $19 its reason, $20 its time), PENDING. */
const SUBMIT_REQUEST: PreparedStatement = {
  name: 'submit_request',
  text: `WITH request AS (
           INSERT INTO resource_request (project_id, submitted_by, idempotency_key, image, vcpus, memory_mib, gpus, count, min_count, lease_hours,
                                         sites, requirements, preferred_sites, span_sites, user_data, ssh_public_key, tags, state)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'PENDING')
           RETURNING *),
         event AS (
           INSERT INTO request_event (id, request_id, kind, to_state, reason, at)
           SELECT $18, id, 'REQUEST_STATE', state, $19, $20 FROM request)
         SELECT * FROM request`,
};

/** Kinds of history events that are not state changes (NOTE: written by a client, see addRequestNote). */
export type NoticeKind = 'LEASE_ENDING' | 'LEASE_EXTENDED' | 'NOTE';

/**
 * Every state change of a request or an instance goes through here: checked against the
 * transition table, written with the caller's transaction together with its history event, and,
 * once the transaction commits, logged once with its ids and told to the request's watchers.
 *
 * Each write compares and sets (`UPDATE ... WHERE state = <the state it was read in>`): a row that
 * someone else moved meanwhile is not overwritten; StaleStateError makes the transaction run again
 * with fresh reads (see Db.transaction).
 */
@Injectable()
export class RequestLifecycle {
  constructor(
    private readonly db: Db,
    private readonly updates: RequestUpdates,
    private readonly notifier: Notifier,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * A new request, PENDING, with the first event of its history (it was accepted): one statement,
   * which commits both or neither without a transaction around it. (No one can be watching it yet.)
   */
  async submit(manager: EntityManager, request: NewRequest, reason: string): Promise<ResourceRequest> {
    const r = request;
    const [row] = await runPrepared(manager, SUBMIT_REQUEST, [
      r.projectId, r.submittedBy, r.idempotencyKey, r.image, r.vcpus, r.memoryMib, r.gpus, r.count, r.minCount, r.leaseHours,
      r.sites, r.requirements, r.preferredSites, r.spanSites, r.userData, r.sshPublicKey, JSON.stringify(r.tags),
      timeOrderedUuid(), reason, this.clock.now(),
    ]);
    return entityFromRow<ResourceRequest>(manager.connection.getMetadata(ResourceRequest), row!);
  }

  /** Instances the allocator placed, REQUESTED (they hold quota and capacity from now on): one statement. */
  async placeInstances(manager: EntityManager, rows: PlacedInstance[]): Promise<void> {
    if (rows.length === 0) return;
    const column = <K extends keyof PlacedInstance>(key: K) => rows.map((r) => r[key]);
    await runPrepared(manager, PLACE_INSTANCES, [
      column('requestId'), column('projectId'), column('siteId'), column('attempt'), column('instanceType'),
      column('vcpus'), column('memoryMib'), column('gpus'), column('borrowed'), column('leaseEndsAt'),
    ]);
  }

  /**
   * Moves the request to `to`. QUEUED -> QUEUED with another reason is a change too, recorded
   * only when the reason or its code differ (the allocator re-decides waiting requests every cycle).
   */
  async moveRequest(manager: EntityManager, request: ResourceRequest, to: RequestState, detail: TransitionDetail & { leaseEndsAt?: Date; attempt?: number } = {}): Promise<void> {
    const from = request.state;
    requestStateMachine.assertTransition(from, to);
    const patch: Partial<ResourceRequest> = { state: to, reason: detail.reason ?? null, reasonCode: detail.reasonCode ?? null };
    if (detail.leaseEndsAt) patch.leaseEndsAt = detail.leaseEndsAt;
    if (detail.attempt !== undefined) patch.attempt = detail.attempt;
    const changed = from !== to || request.reason !== patch.reason || request.reasonCode !== patch.reasonCode;
    const { affected } = await manager.getRepository(ResourceRequest).update({ id: request.id, state: from }, patch);
    if (affected === 0) throw new StaleStateError('request', request.id, from);
    Object.assign(request, patch);
    if (changed) await this.record(manager, { requestId: request.id, kind: 'REQUEST_STATE', fromState: from, toState: to, reason: patch.reason, reasonCode: patch.reasonCode });
    if (from !== to) this.logAfterCommit(manager, { requestId: request.id, projectId: request.projectId, from, to, reasonCode: patch.reasonCode, reason: patch.reason }, 'request state changed');
    if (from !== to && to === 'FAILED') await this.notifyFailed(manager, request);
  }

  /**
   * Many requests moved at once, as the allocator cycle decides them: checked one by one, written
   * with one UPDATE (compare and set, each from the state it was read in) and one multi-row INSERT
   * of their history per thousand, logged one by one once the transaction commits.
   */
  async moveRequests(manager: EntityManager, moves: { request: ResourceRequest; to: RequestState; detail: TransitionDetail & { attempt?: number; leaseEndsAt?: Date } }[]): Promise<void> {
    for (const { request, to } of moves) requestStateMachine.assertTransition(request.state, to);
    for (let i = 0; i < moves.length; i += BULK) {
      const batch = moves.slice(i, i + BULK);
      const patches = batch.map(({ request, to, detail }) => ({
        state: to,
        reason: detail.reason ?? null,
        reasonCode: detail.reasonCode ?? null,
        attempt: detail.attempt ?? request.attempt,
        leaseEndsAt: detail.leaseEndsAt ?? request.leaseEndsAt,
      }));
      const moved = await runPrepared<{ id: string }>(manager, MOVE_REQUESTS, [
        batch.map((m) => m.request.id),
        patches.map((p) => p.state),
        patches.map((p) => p.reason),
        patches.map((p) => p.reasonCode),
        patches.map((p) => p.attempt),
        patches.map((p) => p.leaseEndsAt),
        batch.map((m) => m.request.state),
      ]);
      if (moved.length < batch.length) {
        const movedIds = new Set(moved.map((row) => row.id));
        const stale = batch.find((m) => !movedIds.has(m.request.id))!;
        throw new StaleStateError('request', stale.request.id, stale.request.state);
      }
      const events: NewEvent[] = [];
      for (const [n, { request, to }] of batch.entries()) {
        const from = request.state;
        const patch = patches[n]!;
        if (from !== to || request.reason !== patch.reason || request.reasonCode !== patch.reasonCode) {
          events.push({ id: timeOrderedUuid(), at: this.clock.now(), requestId: request.id, kind: 'REQUEST_STATE', fromState: from, toState: to, reason: patch.reason, reasonCode: patch.reasonCode });
        }
        if (from !== to) this.logAfterCommit(manager, { requestId: request.id, projectId: request.projectId, from, to, reasonCode: patch.reasonCode, reason: patch.reason }, 'request state changed');
        Object.assign(request, patch);
        if (from !== to && to === 'FAILED') await this.notifyFailed(manager, request);
      }
      await this.insertEvents(manager, events);
      this.updates.changedMany(manager, events.map((e) => e.requestId));
    }
  }

  /**
   * Many instances moved at once (a batch of placements recorded, a site's listing reconciled):
   * each checked against the transition table, written with one UPDATE per set of columns changed
   * (compare and set, each from the state it was read in) and one INSERT of their history. As
   * moveInstance does one by one.
   */
  async moveInstances(manager: EntityManager, moves: InstanceMove[]): Promise<void> {
    for (const { instance, to } of moves) instanceStateMachine.assertTransition(instance.state, to);
    const events: NewEvent[] = [];
    for (const [, group] of groupBy(moves, ({ patch }) => Object.keys(patch).sort().join(','))) {
      for (let i = 0; i < group.length; i += BULK) {
        const batch = group.slice(i, i + BULK);
        const moved = await runPrepared<{ id: string }>(manager, moveInstancesStatement(manager, Object.keys(batch[0]!.patch).sort()), [
          batch.map((m) => m.instance.id),
          batch.map((m) => m.instance.state),
          batch.map((m) => m.to),
          ...Object.keys(batch[0]!.patch).sort().map((key) => batch.map((m) => m.patch[key as keyof Instance] ?? null)),
        ]);
        if (moved.length < batch.length) {
          const movedIds = new Set(moved.map((row) => row.id));
          const stale = batch.find((m) => !movedIds.has(m.instance.id))!;
          throw new StaleStateError('instance', stale.instance.id, stale.instance.state);
        }
      }
    }
    for (const { instance, to, patch, why } of moves) {
      const from = instance.state;
      Object.assign(instance, { ...patch, state: to });
      events.push(this.instanceMoved(manager, instance, from, patch, why));
    }
    await this.insertEvents(manager, events);
    this.updates.changedMany(manager, [...new Set(moves.map((m) => m.instance.requestId))]);
  }

  /**
   * Ends a placed or running request, which the caller has locked: its wanted instances go to
   * TERMINATING (the terminator ends them at their sites) and so does the request. Returns whether
   * anything was left to end.
   */
  async endRequest(manager: EntityManager, request: ResourceRequest, detail: TransitionDetail, why: string): Promise<boolean> {
    if (request.state !== 'PROVISIONING' && request.state !== 'RUNNING') return false;
    const instances = await lockInstancesOf(manager, request, { state: In(ALIVE_STATES) });
    for (const instance of instances) await this.moveInstance(manager, instance, 'TERMINATING', {}, why);
    await this.moveRequest(manager, request, 'TERMINATING', detail);
    return true;
  }

  async moveInstance(manager: EntityManager, instance: Instance, to: InstanceState, patch: Partial<Instance> = {}, why?: string): Promise<void> {
    const from = instance.state;
    instanceStateMachine.assertTransition(from, to);
    const change = { ...patch, state: to };
    const { affected } = await manager.getRepository(Instance).update({ id: instance.id, state: from }, change);
    if (affected === 0) throw new StaleStateError('instance', instance.id, from);
    Object.assign(instance, change);
    await this.record(manager, this.instanceMoved(manager, instance, from, patch, why));
  }

  /** The history event of an instance that has just moved from `from` (to its state now, with `patch`), logged once committed. */
  private instanceMoved(manager: EntityManager, instance: Instance, from: InstanceState, patch: Partial<Instance>, why?: string): NewEvent {
    const to = instance.state;
    this.logAfterCommit(
      manager,
      { instanceId: instance.id, requestId: instance.requestId, siteId: instance.siteId, projectId: instance.projectId, siteInstanceId: instance.siteInstanceId, from, to, why },
      'instance state changed',
    );
    return {
      id: timeOrderedUuid(),
      at: this.clock.now(),
      requestId: instance.requestId,
      instanceId: instance.id,
      siteId: instance.siteId,
      kind: 'INSTANCE_STATE',
      fromState: from,
      toState: to,
      reason: why ?? patch.failureReason ?? null,
      reasonCode: patch.failureCode ?? null,
    };
  }

  /** Something in a request's history that is not a state change, such as a lease about to end. */
  async notice(manager: EntityManager, request: ResourceRequest, kind: NoticeKind, reason: string): Promise<RequestEvent> {
    const event = await this.record(manager, { requestId: request.id, kind, reason });
    this.logAfterCommit(manager, { requestId: request.id, projectId: request.projectId, kind, reason }, 'request notice');
    return event;
  }

  /** Many notices at once (leases that come due together), in one statement. */
  async notices(manager: EntityManager, notices: { request: ResourceRequest; kind: NoticeKind; reason: string }[]): Promise<void> {
    const events: NewEvent[] = notices.map(({ request, kind, reason }) => ({ id: timeOrderedUuid(), at: this.clock.now(), requestId: request.id, kind, reason }));
    await this.insertEvents(manager, events);
    this.updates.changedMany(manager, events.map((e) => e.requestId));
    for (const { request, kind, reason } of notices) this.logAfterCommit(manager, { requestId: request.id, projectId: request.projectId, kind, reason }, 'request notice');
  }

  /** Its project (and institution) hear of a request that failed, with why. */
  private notifyFailed(manager: EntityManager, request: ResourceRequest): Promise<void> {
    return this.notifier.notify(manager, {
      kind: 'REQUEST_FAILED',
      projectId: request.projectId,
      subject: `request ${request.id} failed: ${request.reason ?? 'no reason given'}`,
      details: { requestId: request.id, reasonCode: request.reasonCode, reason: request.reason, submittedBy: request.submittedBy, tags: request.tags },
      dedupeKey: `request-failed:${request.id}`,
    });
  }

  /** A change is logged only once it is there for everyone to read: never one that was rolled back (or tried again). */
  private logAfterCommit(manager: EntityManager, fields: Record<string, unknown>, message: string): void {
    this.db.afterCommit(manager, () => this.logger.info(fields, message));
  }

  private async record(manager: EntityManager, event: NewEvent): Promise<RequestEvent> {
    const recorded = await this.insertEvent(manager, event);
    this.updates.changed(manager, event.requestId);
    return recorded;
  }

  /** Many events in one statement; each as insertEvent would write it. */
  private async insertEvents(manager: EntityManager, events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    const column = <K extends keyof NewEvent>(key: K) => events.map((e) => e[key] ?? null);
    await runPrepared(manager, INSERT_EVENTS, [
      column('id'), column('requestId'), column('instanceId'), column('siteId'), column('kind'),
      column('fromState'), column('toState'), column('reason'), column('reasonCode'), column('at'),
    ]);
  }

  private async insertEvent(manager: EntityManager, event: NewEvent): Promise<RequestEvent> {
    // a time-ordered id keeps events stamped with the same clock time in the order they happened
    const events = manager.getRepository(RequestEvent);
    const recorded = events.create({ instanceId: null, siteId: null, fromState: null, toState: null, reason: null, reasonCode: null, id: timeOrderedUuid(), at: this.clock.now(), ...event });
    await events.insert(recorded);
    return recorded;
  }
}
