/**
 * The codes of the refusals any layer may make (input checks, paging, the permission guard).
 * Each domain adds its own codes in its `x.errors.ts`; graphql/format-error.ts maps every code,
 * once, to the `extensions.code` the API contract pins.
 */
export type CommonErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT';

/**
 * An error the caller caused and can act on. Domains throw their own subclasses (with their own
 * codes) or the common ones below; the GraphQL layer maps them to `extensions.code` in one place.
 * Anything else is a bug and reaches the client only as an opaque INTERNAL_SERVER_ERROR.
 */
export class DomainError<Code extends string = string> extends Error {
  constructor(
    /** what went wrong, as the domain names it (REQUEST_NOT_FOUND, LEASE_TOO_LONG, ...) */
    readonly code: Code,
    message: string,
    /** The input field that was wrong, for bad input; for a list of inputs, also the item refused (`sites[2]`). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** About one input field, in a domain's error class: the message starts with the field's name, and `extensions.field` carries it. */
  static about<C extends string, E extends DomainError<C>>(this: new (code: C, message: string, field?: string) => E, code: NoInfer<C>, field: string, problem: string): E {
    return new this(code, fieldMessage(field, problem), field);
  }
}

/** The message of an error about one input field: it starts with the field's name. */
export function fieldMessage(field: string, problem: string): string {
  return `${field}: ${problem}`;
}

export class BadInputError extends DomainError<CommonErrorCode> {
  constructor(field: string, problem: string) {
    super('BAD_USER_INPUT', fieldMessage(field, problem), field);
  }
}

export class NotFoundError extends DomainError<CommonErrorCode> {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} does not exist`);
  }
}

export class ConflictError extends DomainError<CommonErrorCode> {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class ForbiddenError extends DomainError<CommonErrorCode> {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class UnauthenticatedError extends DomainError<CommonErrorCode> {
  constructor(message = 'a valid bearer token is required (Authorization: Bearer <token>)') {
    super('UNAUTHENTICATED', message);
  }
}
