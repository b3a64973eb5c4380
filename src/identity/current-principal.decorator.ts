import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Loaders } from '../graphql/loaders.js';
import type { Principal } from './principal.js';

/** The GraphQL request's context, as the Apollo context function builds it. */
export interface RequestContext {
  principal: Principal | null;
  authProblem?: string;
  loaders: Loaders;
  /** The caller's network address, which rate limits count an anonymous caller by. */
  clientAddress?: string;
}

/** The per-request DataLoaders. */
export const RequestLoaders = createParamDecorator((_data: unknown, ctx: ExecutionContext): Loaders => {
  return GqlExecutionContext.create(ctx).getContext<RequestContext>().loaders;
});

/** The authenticated caller; the PermissionGuard has made sure there is one (only an anonymous operation may see null). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  return GqlExecutionContext.create(ctx).getContext<RequestContext>().principal!;
});
