import { DomainError } from '../common/errors.js';

/** What the bursting domain (worker pools) refuses, by name; graphql/format-error.ts maps each to the API's code. */
export enum BurstingErrorCode {
  PoolNotFound = 'WORKER_POOL_NOT_FOUND',
  PoolNameTaken = 'WORKER_POOL_NAME_TAKEN',
  /** a size outside the pool's minSize..maxSize, or a pool's own settings that do not fit together */
  InvalidPool = 'WORKER_POOL_INVALID',
  PoolDeleted = 'WORKER_POOL_DELETED',
}

export class BurstingError extends DomainError<BurstingErrorCode> {
  static poolNotFound(id: string): BurstingError {
    return new BurstingError(BurstingErrorCode.PoolNotFound, `worker pool ${id} does not exist`);
  }
}
