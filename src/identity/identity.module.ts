import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiTokensService } from './api-tokens.service.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { IdentityResolver } from './identity.resolver.js';
import { LoginSessions } from './oidc/login-sessions.service.js';
import { OidcLoginService } from './oidc/oidc-login.service.js';
import { ClaimGrants } from './oidc/claim-grants.js';
import { OidcProviders } from './oidc/oidc-providers.service.js';
import { OidcController } from './oidc/oidc.controller.js';

@Module({
  controllers: [OidcController],
  providers: [
    ClaimGrants,
    AuthService,
    ApiTokensService,
    IdentityResolver,
    LoginSessions,
    OidcProviders,
    OidcLoginService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthService],
})
export class IdentityModule {}
