import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../common/errors.js';
import { PERMISSION_RULES, type ScopeTarget } from '../access-policy.js';
import type { RequestContext } from '../current-principal.decorator.js';
import type { Role } from '../principal.js';
import { ALLOW_METADATA, type AllowDeclaration, type Scope } from './permission.js';
import { ScopeLookups } from './scope-lookups.js';

/** The value at a dotted path of the arguments (`input.projectId`). */
export function argumentAt(args: unknown, path: string): unknown {
  let value: unknown = args;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const lastSegment = (path: string) => path.slice(path.lastIndexOf('.') + 1);

/**
 * The one guard of the GraphQL API (queries, mutations and subscriptions; HTTP routes such as
 * /healthz pass): the caller must be authenticated unless the operation is anonymous, and its
 * declared permission must hold on its declared scope. An operation that declares nothing is
 * refused (and the broker does not start with one, see OperationCatalog).
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly lookups: ScopeLookups,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType<string>() !== 'graphql') return true;
    const gql = GqlExecutionContext.create(context);
    const ctx = gql.getContext<RequestContext>();
    const declaration = this.reflector.get<AllowDeclaration | undefined>(ALLOW_METADATA, context.getHandler());
    if (declaration?.scope.kind === 'anonymous') return true;
    if (!ctx.principal) throw new UnauthenticatedError(ctx.authProblem ? `not authenticated: ${ctx.authProblem}` : undefined);
    if (!declaration) throw new ForbiddenError(`${gql.getInfo<{ fieldName: string }>().fieldName} declares no permission, so no one may call it`);
    const target = await this.targetOf(declaration.scope, gql.getArgs());
    if (target) PERMISSION_RULES[declaration.permission].check(ctx.principal, target);
    return true;
  }

  /** The scope's target; null when there is none to check (a list the service scopes, or a record the service answers for). */
  private async targetOf(scope: Scope, args: unknown): Promise<ScopeTarget | null> {
    switch (scope.kind) {
      case 'anonymous':
      case 'signed-in':
      case 'federation':
        return {};
      case 'institution':
        return { institution: requiredText(argumentAt(args, scope.path), scope.path) };
      case 'service-account': {
        const input = argumentAt(args, scope.path);
        const role = argumentAt(input, 'role') as Role;
        const projectId = argumentAt(input, 'projectId');
        return { serviceAccount: { role, projectId: typeof projectId === 'string' ? projectId : undefined } };
      }
      default: {
        const id = argumentAt(args, scope.path);
        if (id === undefined || id === null) {
          if (scope.absent === 'list') return null;
          throw new Error(`${scope.path} is required by the ${scope.kind} scope but was not given`);
        }
        const target = await this.lookups.find(scope.kind, requiredText(id, scope.path), lastSegment(scope.path));
        if (target) return target;
        if (scope.missing === 'service') return null;
        throw new NotFoundError(scope.kind, String(id)); // the kind is the record's name: `request 1 does not exist`
      }
    }
  }
}

/** GraphQL has checked the argument's type; a non-text one here is a wrong declaration. */
function requiredText(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new Error(`the scope's argument ${path} is not text`);
  return value;
}
