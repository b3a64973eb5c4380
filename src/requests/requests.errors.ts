import { DomainError } from '../common/errors.js';

/** What the requests domain refuses, by name; graphql/format-error.ts maps each to the API's code. */
export enum RequestsErrorCode {
  RequestNotFound = 'REQUEST_NOT_FOUND',
  /** a name in the request (a site, an image) that the federation does not know */
  UnknownName = 'REQUEST_UNKNOWN_NAME',
  /** a request's own fields that do not make sense (its sites list, requirements, user data, key) */
  InvalidInput = 'REQUEST_INVALID_INPUT',
  /** only a RUNNING request whose lease has not ended can be extended */
  LeaseNotExtendable = 'REQUEST_LEASE_NOT_EXTENDABLE',
  LeaseTooLong = 'REQUEST_LEASE_TOO_LONG',
  /** the project's allocations or budget do not cover the extension */
  BudgetExhausted = 'REQUEST_BUDGET_EXHAUSTED',
}

export class RequestsError extends DomainError<RequestsErrorCode> {
  static notFound(id: string): RequestsError {
    return new RequestsError(RequestsErrorCode.RequestNotFound, `request ${id} does not exist`);
  }
}
