import { ModuleRef } from '@nestjs/core';
import { Args, GraphQLSchemaHost, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AccessPolicy } from './access-policy.js';
import { ApiTokensService } from './api-tokens.service.js';
import { CurrentPrincipal } from './current-principal.decorator.js';
import { ApiTokenView, CreateApiTokenInput, CreatedApiToken, CreateServiceAccountInput } from './dto/identity.types.js';
import type { ApiToken } from './entities/api-token.entity.js';
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
  constructor(
    private readonly tokens: ApiTokensService,
    private readonly moduleRef: ModuleRef, // the schema exists only once GraphQL has started: looked up when needed
  ) {}

  @Mutation(() => CreatedApiToken, { description: 'a token for a batch job or the CLI' })
  createServiceAccount(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateServiceAccountInput): Promise<CreatedApiToken> {
    AccessPolicy.assertCanCreateServiceAccount(principal, input.role, input.projectId ?? undefined);
    return this.tokens.createServiceAccount(principal, input);
  }

  @Mutation(() => CreatedApiToken, { description: 'a token that acts as you (logged in), limited to a project, operations and a role' })
  createApiToken(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateApiTokenInput): Promise<CreatedApiToken> {
    AccessPolicy.assertCanCreateOwnToken(principal);
    const { schema } = this.moduleRef.get(GraphQLSchemaHost, { strict: false });
    const operations = new Set([...Object.keys(schema.getQueryType()?.getFields() ?? {}), ...Object.keys(schema.getMutationType()?.getFields() ?? {})]);
    return this.tokens.createUserToken(principal, input, operations);
  }

  @Query(() => [ApiTokenView], { description: 'the tokens you made (federation admins: all); never their values' })
  async apiTokens(@CurrentPrincipal() principal: Principal): Promise<ApiTokenView[]> {
    return (await this.tokens.list(principal)).map(toTokenView);
  }

  @Mutation(() => ApiTokenView, { description: 'ends a token at once' })
  async revokeApiToken(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<ApiTokenView> {
    return toTokenView(await this.tokens.revoke(principal, id, (token) => AccessPolicy.assertCanRevokeToken(principal, token)));
  }
}
