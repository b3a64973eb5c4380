import { Module } from '@nestjs/common';
import { ApiTokensService } from './api-tokens.service.js';
import { AuthService } from './auth.service.js';
import { IdentityResolver } from './identity.resolver.js';
import { IdentityScopes } from './identity.scopes.js';
import { LoginSessions } from './oidc/login-sessions.service.js';
import { OidcLoginService } from './oidc/oidc-login.service.js';
import { ClaimGrants } from './oidc/claim-grants.js';
import { OidcProviders } from './oidc/oidc-providers.service.js';
import { OidcController } from './oidc/oidc.controller.js';
import { PeopleDirectory } from './people-directory.js';
import { PermissionsModule } from './permissions/permissions.module.js';
import { TokenSignInController } from './token-sign-in.controller.js';
import { TokenSignIn } from './token-sign-in.service.js';

@Module({
  imports: [PermissionsModule],
  controllers: [OidcController, TokenSignInController],
  providers: [
    ClaimGrants,
    AuthService,
    ApiTokensService,
    IdentityResolver,
    LoginSessions,
    OidcProviders,
    OidcLoginService,
    IdentityScopes,
    PeopleDirectory,
    TokenSignIn,
  ],
  exports: [AuthService, PeopleDirectory],
})
export class IdentityModule {}
