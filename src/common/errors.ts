/** The `extensions.code` values the API contract pins. */
export type ApiErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED';

/**
 * An error the caller caused and can act on. Domains throw these (or their own subclasses);
 * the GraphQL layer maps them to `extensions.code` in one place. Anything else is a bug and
 * reaches the client only as an opaque INTERNAL_SERVER_ERROR.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** The input field that was wrong, for BAD_USER_INPUT; for a list of inputs, also the item refused (`sites[2]`). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class BadInputError extends DomainError {
  constructor(field: string, problem: string) {
    super('BAD_USER_INPUT', `${field}: ${problem}`, field);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} does not exist`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'a valid bearer token is required (Authorization: Bearer <token>)') {
    super('UNAUTHENTICATED', message);
  }
}
