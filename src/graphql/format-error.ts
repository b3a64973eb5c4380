import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../common/errors.js';

/** Codes of requests refused before any resolver runs (by Apollo itself, the limits, the rate limit or a token's scope). */
const APOLLO_CODES = new Set(['RATE_LIMITED', 'FORBIDDEN', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/** graphql-js ends some messages with "Did you mean ...?", naming fields and values of the schema. */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean .*\?$/s, '');
}

/**
 * The one place errors are mapped for clients (and logged): domain errors keep their code (and
 * field) and are logged at info, Apollo's own request errors pass (the field too, for bad input
 * refused before any resolver), and anything else becomes an opaque INTERNAL_SERVER_ERROR with an
 * id to find it in the logs, where it is logged at error. No stack trace ever leaves the server.
 * With `hideSuggestions` (production), messages lose the schema's names that graphql-js
 * suggests, in variable errors as in validation errors.
 */
export function createErrorFormatter(logger: Logger, options: { hideSuggestions: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      // the caller's mistake, not the broker's: worth a line for whoever helps them, not an alarm
      logger.info({ code: original.code, field: original.field, path: formatted.path }, `operation refused: ${original.message}`);
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: original.code, ...(original.field ? { field: original.field } : {}) },
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
