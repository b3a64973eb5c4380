import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from '../config/config.js';
import { BROKER_APPLICATION_NAME } from '../database/data-source.js';
import { Db } from '../database/db.js';
import type { ResourceRequest } from './entities/resource-request.entity.js';
import { RequestSnapshots } from './request-snapshots.js';

/** The PostgreSQL channel on which broker processes tell each other that a request changed. */
const CHANNEL = 'skypool_request_updated';
const RECONNECT_MS = 5000;

/** NOTIFY payloads are at most 8000 bytes: this many request ids (37 bytes each) go in one, after the origin. */
const IDS_PER_NOTIFICATION = 200;

/**
 * "Request X changed", told to whoever watches X (the requestUpdated subscription), only once
 * the transaction of the change has committed: in this process through `afterCommit`; to the
 * other broker processes of a PostgreSQL server through NOTIFY, sent after the commit too and
 * outside the transaction, and one LISTEN connection per process. A NOTIFY inside a transaction
 * would make its commit queue on a lock that every notifying commit of the server shares; sent
 * apart, the changes of many transactions go in one statement (those that come while one is
 * sent go in the next). A process that dies between a commit and its NOTIFY leaves the other
 * processes' watchers to see that change with the next one. The embedded database serves one
 * process, so there the first is enough.
 */
@Injectable()
export class RequestUpdates implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly watchers = new Map<string, Set<() => void>>();
  /** The requests each transaction under way has told of, so each is told once per transaction. */
  private readonly told = new WeakMap<EntityManager, Set<string>>();
  /** Marks this process's notifications, which it has delivered itself already. */
  private readonly origin = randomUUID();
  /** Changes committed that the other processes have yet to hear of, and the NOTIFY under way. */
  private readonly untold = new Set<string>();
  private telling?: Promise<void>;
  private listener?: pg.Client;
  private reconnect?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly db: Db,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Within the transaction that changed the request: every watcher hears of it once that commits. */
  changed(manager: EntityManager, requestId: string): void {
    this.changedMany(manager, [requestId]);
  }

  /** The same for many requests at once (the allocator cycle). */
  changedMany(manager: EntityManager, requestIds: string[]): void {
    const pending = this.told.get(manager);
    if (pending) {
      requestIds.forEach((id) => pending.add(id));
      return;
    }
    if (requestIds.length === 0) return;
    const changed = new Set(requestIds);
    this.told.set(manager, changed);
    this.db.afterCommit(manager, () => {
      this.told.delete(manager);
      changed.forEach((id) => this.deliver(id));
      if (this.config.DATABASE_URL) this.tellOthers(changed);
    });
  }

  /** NOTIFY the other processes, in one statement for all the changes committed since the last one. */
  private tellOthers(changed: Set<string>): void {
    changed.forEach((id) => this.untold.add(id));
    this.telling ??= (async () => {
      while (this.untold.size > 0) {
        const ids = [...this.untold];
        this.untold.clear();
        const payloads: string[] = [];
        for (let i = 0; i < ids.length; i += IDS_PER_NOTIFICATION) payloads.push([this.origin, ...ids.slice(i, i + IDS_PER_NOTIFICATION)].join(' '));
        await this.db.manager
          .query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [CHANNEL, payloads])
          .catch((err) => this.logger.warn({ err: String(err), requests: ids.length }, 'could not tell the other broker processes of changed requests'));
      }
      this.telling = undefined;
    })();
  }

  /** Calls `listener` after each change of the request; returns how to stop. */
  watch(requestId: string, listener: () => void): () => void {
    const set = this.watchers.get(requestId) ?? new Set();
    set.add(listener);
    this.watchers.set(requestId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.watchers.get(requestId) === set) this.watchers.delete(requestId);
    };
  }

  /** The request now, then after each change, read with `read`, until it ends (see RequestSnapshots). */
  snapshots(requestId: string, read: (id: string) => Promise<ResourceRequest | null>): RequestSnapshots {
    return new RequestSnapshots(this, requestId, read, this.logger);
  }

  private deliver(requestId: string): void {
    for (const listener of this.watchers.get(requestId) ?? []) listener();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.DATABASE_URL) await this.listen();
  }

  /** The changes committed so far are told before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.telling;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.telling;
    clearTimeout(this.reconnect);
    await this.listener?.end().catch(() => undefined);
  }

  /** One connection of its own: a pooled one would be handed to other work between notifications. */
  private async listen(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.config.DATABASE_URL, application_name: BROKER_APPLICATION_NAME });
    this.listener = client;
    client.on('notification', (n) => {
      const [origin, ...requestIds] = (n.payload ?? '').split(' ');
      if (origin !== this.origin) requestIds.forEach((id) => this.deliver(id));
    });
    client.on('error', (err) => this.logger.warn({ err: String(err) }, 'the connection that listens for request updates failed'));
    client.on('end', () => this.listenAgain());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      return true;
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'cannot listen for request updates from other broker processes; trying again');
      await client.end().catch(() => undefined);
      this.listenAgain();
      return false;
    }
  }

  /** Changes made while no one listened were missed: every watcher reads again once listening resumes. */
  private listenAgain(): void {
    if (this.stopping || this.reconnect) return;
    this.reconnect = setTimeout(async () => {
      this.reconnect = undefined;
      if (!(await this.listen())) return;
      for (const id of this.watchers.keys()) this.deliver(id);
    }, RECONNECT_MS);
    this.reconnect.unref();
  }
}
