import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { StaleStateError } from '../common/state-machine.js';
import { prepareStatementsByName, preparedQuery, type PreparedStatement } from './prepared.js';

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/**
 * The one way to run a transaction. It retries on serialization failures, deadlocks and state
 * writes that found their row moved on (StaleStateError: the work re-reads and decides anew), so
 * callers must keep their work inside `work` free of side effects outside the database
 * (no calls to sites: on the embedded database an open transaction blocks everyone); what
 * must happen outside goes in `afterCommit`.
 */
export class Db {
  /** Callbacks of the transactions under way, by their manager; an attempt that fails takes its own along. */
  private readonly commitCallbacks = new WeakMap<EntityManager, (() => void)[]>();

  constructor(
    readonly dataSource: DataSource,
    private readonly logger?: Pick<Logger, 'error'>,
    options: { namedStatements: boolean } = { namedStatements: false },
  ) {
    if (options.namedStatements) prepareStatementsByName(dataSource);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * The rows of one plain SQL statement, outside any transaction: for the hot read paths (every
   * request's token, a page of requests), where TypeORM's query building and entity hydration
   * cost more than the query. On a PostgreSQL server the statement is prepared under its name, so
   * each pooled connection parses and plans it once (see prepared.ts).
   */
  async rows<T>(statement: PreparedStatement, values: unknown[]): Promise<T[]> {
    this.dataSource.logger.logQuery(statement.text, values); // as TypeORM's own queries are (off in the broker; suites count them)
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    const result = await pool.query<T & object>(preparedQuery(this.dataSource, statement, values));
    return result.rows;
  }

  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const callbacks: (() => void)[] = [];
      let result: T;
      try {
        result = await this.dataSource.transaction((manager) => {
          this.commitCallbacks.set(manager, callbacks);
          return work(manager);
        });
      } catch (err) {
        const code = (err as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (err as { code?: string }).code;
        const retryable = err instanceof StaleStateError || (code !== undefined && RETRYABLE.has(code));
        if (!retryable || attempt >= 5) throw err;
        continue;
      }
      for (const callback of callbacks) this.runCallback(callback);
      return result;
    }
  }

  /**
   * Runs `callback` once the transaction of `manager` has committed, and never if it rolls back
   * (e.g. to publish an event only when what it tells of is there for others to read). Outside
   * a transaction each statement commits at once, so the callback runs now.
   */
  afterCommit(manager: EntityManager, callback: () => void): void {
    const callbacks = this.commitCallbacks.get(manager);
    if (callbacks) callbacks.push(callback);
    else if (manager.queryRunner?.isTransactionActive) throw new Error('afterCommit needs a transaction started with Db.transaction');
    else this.runCallback(callback);
  }

  /** The transaction has committed whatever a callback does: a failing one is reported, not thrown. */
  private runCallback(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      (this.logger ?? console).error({ err }, 'a callback after commit failed');
    }
  }
}

/** True when PostgreSQL refused a row for a unique constraint (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { driverError?: { code?: string }; code?: string };
  return (e.driverError?.code ?? e.code) === '23505';
}
