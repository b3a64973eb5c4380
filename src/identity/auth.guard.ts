import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { UnauthenticatedError } from '../common/errors.js';
import type { RequestContext } from './current-principal.decorator.js';

/**
 * Every GraphQL operation needs an authenticated principal. (HTTP routes such as /healthz and
 * /metrics are public by design and pass.) What each principal may do is the access policy's job.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType<string>() !== 'graphql') return true;
    const ctx = GqlExecutionContext.create(context).getContext<RequestContext>();
    if (!ctx.principal) throw new UnauthenticatedError(ctx.authProblem ? `not authenticated: ${ctx.authProblem}` : undefined);
    return true;
  }
}
