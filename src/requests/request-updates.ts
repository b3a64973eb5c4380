import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
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

/**
 * "Request X changed", told to whoever watches X (the requestUpdated subscription), only once
 * the transaction of the change has committed. In this process through `afterCommit`; to the
 * other broker processes of a PostgreSQL server through NOTIFY, which PostgreSQL delivers only
 * on commit, and one LISTEN connection per process. The embedded database serves one process,
 * so there the first is enough.
 */
@Injectable()
export class RequestUpdates implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly watchers = new Map<string, Set<() => void>>();
  /** The requests each transaction under way has told of, so each is told once per transaction. */
  private readonly told = new WeakMap<EntityManager, Set<string>>();
  /** Marks this process's notifications, which it has delivered itself already. */
  private readonly origin = randomUUID();
  private listener?: pg.Client;
  private reconnect?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly db: Db,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Within the transaction that changed the request: every watcher hears of it once that commits. */
  async changed(manager: EntityManager, requestId: string): Promise<void> {
    await this.changedMany(manager, [requestId]);
  }

  /** The same for many requests at once (the allocator cycle), with one NOTIFY statement. */
  async changedMany(manager: EntityManager, requestIds: string[]): Promise<void> {
    const pending = this.told.get(manager) ?? new Set<string>();
    const fresh = requestIds.filter((id) => !pending.has(id));
    if (fresh.length === 0) return;
    if (pending.size === 0) {
      this.told.set(manager, pending);
      this.db.afterCommit(manager, () => {
        this.told.delete(manager);
        pending.forEach((id) => this.deliver(id));
      });
    }
    fresh.forEach((id) => pending.add(id));
    if (this.config.DATABASE_URL) await manager.query(`SELECT pg_notify($1, $2 || ' ' || id) FROM unnest($3::text[]) AS id`, [CHANNEL, this.origin, fresh]);
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

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnect);
    await this.listener?.end().catch(() => undefined);
  }

  /** One connection of its own: a pooled one would be handed to other work between notifications. */
  private async listen(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.config.DATABASE_URL, application_name: BROKER_APPLICATION_NAME });
    this.listener = client;
    client.on('notification', (n) => {
      const [origin, requestId] = (n.payload ?? '').split(' ');
      if (origin !== this.origin && requestId) this.deliver(requestId);
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
