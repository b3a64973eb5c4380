import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { AccountingErrorCode } from '../accounting/accounting.errors.js';
import { AllocationsErrorCode } from '../allocations/allocations.errors.js';
import { BurstingErrorCode } from '../bursting/bursting.errors.js';
import { DomainError, type CommonErrorCode } from '../common/errors.js';
import { IdentityErrorCode } from '../identity/identity.errors.js';
import { RequestsErrorCode } from '../requests/requests.errors.js';
import { SitesErrorCode } from '../sites/sites.errors.js';

/** The `extensions.code` values the API contract pins. */
export type ApiErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED';

type DomainErrorCode = CommonErrorCode | RequestsErrorCode | SitesErrorCode | AllocationsErrorCode | IdentityErrorCode | BurstingErrorCode | AccountingErrorCode;

/**
 * Every domain's error codes, mapped once to what clients see. A code missing here does not
 * compile; an error with a code that is not here is treated as a bug (INTERNAL_SERVER_ERROR).
 */
const API_CODES: Record<DomainErrorCode, ApiErrorCode> = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',

  [RequestsErrorCode.RequestNotFound]: 'NOT_FOUND',
  [RequestsErrorCode.UnknownName]: 'BAD_USER_INPUT',
  [RequestsErrorCode.InvalidInput]: 'BAD_USER_INPUT',
  [RequestsErrorCode.LeaseTooLong]: 'BAD_USER_INPUT',
  [RequestsErrorCode.LeaseNotExtendable]: 'CONFLICT',
  [RequestsErrorCode.BudgetExhausted]: 'CONFLICT',

  [SitesErrorCode.SiteNotFound]: 'NOT_FOUND',
  [SitesErrorCode.MalformedId]: 'BAD_USER_INPUT',
  [SitesErrorCode.InvalidSettings]: 'BAD_USER_INPUT',
  [SitesErrorCode.Unhealthy]: 'BAD_USER_INPUT',
  [SitesErrorCode.NameTaken]: 'CONFLICT',
  [SitesErrorCode.InUse]: 'CONFLICT',

  [AllocationsErrorCode.ProjectNotFound]: 'NOT_FOUND',
  [AllocationsErrorCode.AllocationNotFound]: 'NOT_FOUND',
  [AllocationsErrorCode.ProjectNameTaken]: 'CONFLICT',
  [AllocationsErrorCode.AllocationRevoked]: 'CONFLICT',
  [AllocationsErrorCode.InvalidAllocation]: 'BAD_USER_INPUT',

  [BurstingErrorCode.PoolNotFound]: 'NOT_FOUND',
  [BurstingErrorCode.PoolNameTaken]: 'CONFLICT',
  [BurstingErrorCode.InvalidPool]: 'BAD_USER_INPUT',
  [BurstingErrorCode.PoolDeleted]: 'CONFLICT',

  [AccountingErrorCode.WebhookNotFound]: 'NOT_FOUND',
  [AccountingErrorCode.InvalidWebhook]: 'BAD_USER_INPUT',

  [IdentityErrorCode.NotInstitutionAdmin]: 'FORBIDDEN',
  [IdentityErrorCode.NotFederationAdmin]: 'FORBIDDEN',
  [IdentityErrorCode.NotProjectMember]: 'FORBIDDEN',
  [IdentityErrorCode.NotProjectManager]: 'FORBIDDEN',
  [IdentityErrorCode.NotRequestOwner]: 'FORBIDDEN',
  [IdentityErrorCode.PersonRequired]: 'FORBIDDEN',
  [IdentityErrorCode.BeyondMakersGrants]: 'FORBIDDEN',
  [IdentityErrorCode.NotTokenMaker]: 'FORBIDDEN',
  [IdentityErrorCode.TokenNotFound]: 'NOT_FOUND',
  [IdentityErrorCode.UserNotFound]: 'NOT_FOUND',
  [IdentityErrorCode.InvalidSettings]: 'BAD_USER_INPUT',
};

function isDomainErrorCode(code: string): code is DomainErrorCode {
  return Object.hasOwn(API_CODES, code);
}

/** The API's code for a domain error; undefined for a code no domain declares (a bug). */
export function apiCodeOf(error: DomainError): ApiErrorCode | undefined {
  return isDomainErrorCode(error.code) ? API_CODES[error.code] : undefined;
}

/** Codes of requests refused before any resolver runs (by Apollo itself, the limits, the rate limit or a token's scope). */
const APOLLO_CODES = new Set(['RATE_LIMITED', 'FORBIDDEN', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/** graphql-js ends some messages with "Did you mean ...?", naming fields and values of the schema. */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean .*\?$/s, '');
}

/**
 * The one place errors are mapped for clients (and logged): domain errors get the API's code for
 * their domain's code (API_CODES), keep their field, and are logged at info with both codes; Apollo's own request errors pass (the field too, for bad input
 * refused before any resolver), and anything else becomes an opaque INTERNAL_SERVER_ERROR with an
 * id to find it in the logs, where it is logged at error. No stack trace ever leaves the server.
 * With `hideSuggestions` (production), messages lose the schema's names that graphql-js
 * suggests, in variable errors as in validation errors.
 */
export function createErrorFormatter(logger: Logger, options: { hideSuggestions: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const apiCode = original instanceof DomainError ? apiCodeOf(original) : undefined;
    if (original instanceof DomainError && apiCode) {
      // the caller's mistake, not the broker's: worth a line for whoever helps them, not an alarm
      logger.info({ code: apiCode, reason: original.code, field: original.field, path: formatted.path }, `operation refused: ${original.message}`);
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: apiCode, ...(original.field ? { field: original.field } : {}) },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && APOLLO_CODES.has(code)) {
      const field = formatted.extensions?.field;
      const message = options.hideSuggestions ? withoutSuggestions(formatted.message) : formatted.message;
      return { message, locations: formatted.locations, path: formatted.path, extensions: { code, ...(typeof field === 'string' ? { field } : {}) } };
    }
    const errorId = randomUUID();
    logger.error({ err: original, errorId, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return { message: `internal error (reference ${errorId})`, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } };
  };
}
