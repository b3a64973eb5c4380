import { type ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { GqlContextType } from '@nestjs/graphql';

/**
 * An error thrown in a resolver goes to Apollo as it is: `format-error.ts` maps it and logs what
 * deserves a log (a caller's mistake at info, a bug at error with its reference). Without this
 * filter Nest logs every thrown error, a caller's BAD_USER_INPUT included, at ERROR. Errors of
 * plain HTTP routes keep Nest's own handling.
 */
@Catch()
export class GraphqlExceptionsFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): unknown {
    // graphql-js treats an Error a resolver returns as one it threw
    if (host.getType<GqlContextType>() === 'graphql') return exception;
    return super.catch(exception, host);
  }
}
