import type { DataSource, EntityManager } from 'typeorm';

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/**
 * The one way to run a transaction. It retries on serialization failures and deadlocks, so
 * callers must keep their work inside `work` free of side effects outside the database
 * (no calls to sites: on the embedded database an open transaction blocks everyone).
 */
export class Db {
  constructor(readonly dataSource: DataSource) {}

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(work);
      } catch (err) {
        const code = (err as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (err as { code?: string }).code;
        if (!code || !RETRYABLE.has(code) || attempt >= 5) throw err;
      }
    }
  }
}

/** True when PostgreSQL refused a row for a unique constraint (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { driverError?: { code?: string }; code?: string };
  return (e.driverError?.code ?? e.code) === '23505';
}
