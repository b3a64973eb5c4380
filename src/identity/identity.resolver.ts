import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiTokensService } from './api-tokens.service.js';
import { CurrentPrincipal } from './current-principal.decorator.js';
import { ApiTokenView, CreateApiTokenInput, CreatedApiToken, CreateServiceAccountInput } from './dto/identity.types.js';
import type { ApiToken } from './entities/api-token.entity.js';
import { Allow, Permission, Scope } from './permissions/permission.js';
import type { Principal } from './principal.js';

function toTokenView(t: ApiToken): ApiTokenView {
  return {
    id: t.id,
    name: t.name,
    kind: t.userId ? 'user' : 'service-account',
    role: t.role,
    projectId: t.projectId,
    institution: t.institution,
    operations: t.operations,
    createdBy: t.createdBy,
    parentTokenId: t.parentTokenId,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  };
}

@Resolver()
export class IdentityResolver {
  constructor(private readonly tokens: ApiTokensService) {}

  @Allow(Permission.CreateServiceAccount, { scope: Scope.serviceAccount('input') })
  @Mutation(() => CreatedApiToken, { description: 'a token for a batch job or the CLI' })
  createServiceAccount(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateServiceAccountInput): Promise<CreatedApiToken> {
    return this.tokens.createServiceAccount(principal, input);
  }

  @Allow(Permission.CreateOwnToken, { scope: Scope.signedIn() })
  @Mutation(() => CreatedApiToken, { description: 'a token that acts as you (logged in), limited to a project, operations and a role' })
  createApiToken(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateApiTokenInput): Promise<CreatedApiToken> {
    return this.tokens.createUserToken(principal, input);
  }

  @Allow(Permission.ReadOwn, { scope: Scope.signedIn() })
  @Query(() => [ApiTokenView], { description: 'the tokens you made (federation admins: all); never their values' })
  async apiTokens(@CurrentPrincipal() principal: Principal): Promise<ApiTokenView[]> {
    return (await this.tokens.list(principal)).map(toTokenView);
  }

  @Allow(Permission.RevokeToken, { scope: Scope.token('id') })
  @Mutation(() => ApiTokenView, { description: 'ends a token at once' })
  async revokeApiToken(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<ApiTokenView> {
    return toTokenView(await this.tokens.revoke(principal, id));
  }
}
