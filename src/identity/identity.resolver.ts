import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { AccessPolicy } from './access-policy.js';
import { ApiTokensService } from './api-tokens.service.js';
import { CurrentPrincipal } from './current-principal.decorator.js';
import { CreatedApiToken, CreateServiceAccountInput } from './dto/identity.types.js';
import type { Principal } from './principal.js';

@Resolver()
export class IdentityResolver {
  constructor(private readonly tokens: ApiTokensService) {}

  @Mutation(() => CreatedApiToken, { description: 'a token for a batch job or the CLI' })
  createServiceAccount(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateServiceAccountInput): Promise<CreatedApiToken> {
    AccessPolicy.assertCanCreateServiceAccount(principal, input.role, input.projectId ?? undefined);
    return this.tokens.createServiceAccount(principal, input);
  }
}
