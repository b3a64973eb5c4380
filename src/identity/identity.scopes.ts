import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ApiTokensService } from './api-tokens.service.js';
import { ScopeLookups } from './permissions/scope-lookups.js';

/** The scope of a token, for the permission guard: who made it. */
@Injectable()
export class IdentityScopes implements OnModuleInit {
  constructor(
    private readonly lookups: ScopeLookups,
    private readonly tokens: ApiTokensService,
  ) {}

  onModuleInit(): void {
    this.lookups.provide('token', async (id) => {
      const token = await this.tokens.find(id);
      return token ? { createdBy: token.createdBy } : null;
    });
  }
}
