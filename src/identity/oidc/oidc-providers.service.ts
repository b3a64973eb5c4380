import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createRemoteJWKSet } from 'jose';
import passport from 'passport';
import type OpenIDConnectStrategy from 'passport-openidconnect';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { LOGGER } from '../../common/logging.js';
import { CONFIG, type Config, type OidcProviderConfig } from '../../config/config.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../../database/deployment.service.js';
import { discover, type ProviderMetadata } from './discovery.js';
import { verifyIdToken } from './id-token.js';
import { LoginError } from './login-error.js';
import { CookieStateStore, loginAttempts, LoginStateCookie, UsedStates } from './login-state.js';
import { runPassport, type PassportOutcome, type VerifiedIdentity } from './passport-outcome.js';
import { type LoginPhaseOptions, PkceOpenIdStrategy } from './pkce-strategy.js';

const JWKS_TIMEOUT_MS = 5000;

export interface ReadyProvider {
  config: OidcProviderConfig;
  metadata: ProviderMetadata;
}

type Done = (err: Error | null, identity?: VerifiedIdentity) => void;

/**
 * The configured identity providers: each is discovered at its first login (and again after a
 * failed discovery), then served by its own passport strategy on this broker's own Passport.
 */
@Injectable()
export class OidcProviders {
  readonly loginCookie: LoginStateCookie;
  private readonly usedStates: UsedStates;
  private readonly passport = new passport.Passport();
  private readonly ready = new Map<string, Promise<ReadyProvider>>();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(DEPLOYMENT) deployment: DeploymentIdentity,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.loginCookie = new LoginStateCookie(deployment.secrets, clock);
    this.usedStates = new UsedStates(clock);
  }

  get enabled(): boolean {
    return this.config.oidcProviders.length > 0;
  }

  /** The providers a sign-in page offers, by name, with the words of their buttons (OIDC_LABEL). */
  list(): { name: string; label: string }[] {
    return this.config.oidcProviders.map((p) => ({ name: p.name, label: p.label }));
  }

  /** The provider a login asks for; `default` (or the only one) when it names none. */
  choose(name: unknown): OidcProviderConfig {
    const providers = this.config.oidcProviders;
    if (providers.length === 0) throw new LoginError('login_disabled', 'login is not configured on this broker (see OIDC_ISSUER)');
    const known = providers.map((p) => p.name).join(', ');
    if (name === undefined || name === '') {
      const chosen = providers.find((p) => p.name === 'default') ?? (providers.length === 1 ? providers[0] : undefined);
      if (!chosen) throw new LoginError('unknown_provider', `name a provider with ?provider=: one of ${known}`);
      return chosen;
    }
    const chosen = providers.find((p) => p.name === name);
    if (!chosen) throw new LoginError('unknown_provider', `no identity provider ${JSON.stringify(name)} here; known: ${known}`);
    return chosen;
  }

  /** Discovery (once) and the provider's strategy. */
  prepare(provider: OidcProviderConfig): Promise<ReadyProvider> {
    let ready = this.ready.get(provider.name);
    if (!ready) {
      ready = this.setUp(provider);
      this.ready.set(provider.name, ready);
      ready.catch(() => this.ready.delete(provider.name)); // a provider down now may be up for the next login
    }
    return ready;
  }

  /** Runs the provider's strategy for the login's start (a redirect) or its callback. */
  run(provider: ReadyProvider, options: LoginPhaseOptions, req: Request, res: Response): Promise<PassportOutcome> {
    return runPassport(this.passport, strategyName(provider.config), options, req, res);
  }

  private async setUp(provider: OidcProviderConfig): Promise<ReadyProvider> {
    const metadata = await discover(provider.issuer);
    const keys = createRemoteJWKSet(new URL(metadata.jwksUri), { timeoutDuration: JWKS_TIMEOUT_MS });
    const secure = new URL(provider.redirectUrl).protocol === 'https:';
    const strategy = new PkceOpenIdStrategy(
      {
        issuer: metadata.issuer,
        authorizationURL: metadata.authorizationEndpoint,
        tokenURL: metadata.tokenEndpoint,
        userInfoURL: metadata.userinfoEndpoint ?? '',
        clientID: provider.clientId,
        clientSecret: provider.clientSecret,
        callbackURL: provider.redirectUrl,
        scope: ['email', 'profile'],
        // userinfo often holds what the ID token leaves out (email, entitlements)
        skipUserProfile: !metadata.userinfoEndpoint,
        passReqToCallback: true,
        store: new CookieStateStore(provider.name, this.loginCookie, this.usedStates, secure) as unknown as OpenIDConnectStrategy.SessionStore,
        verifyIdToken: (idToken, nonce) =>
          verifyIdToken(idToken, { issuer: metadata.issuer, clientId: provider.clientId, nonce, keys, algorithms: metadata.idTokenAlgorithms, now: this.clock.now() }),
      },
      // the library picks what it passes by this function's arity: 10 is (req, ..., userinfo profile, ...)
      (req: Request, _iss: string, uiProfile: object, _idProfile: object, _ctx: object, _idToken: unknown, _at: unknown, _rt: unknown, _params: unknown, done: Done) =>
        this.identityOf(provider, req, uiProfile, done),
    );
    this.passport.use(strategyName(provider), strategy);
    this.logger.info({ provider: provider.name, issuer: metadata.issuer }, 'identity provider discovered');
    return { config: provider, metadata };
  }

  /** The strategy's verify step: the ID token is already verified; userinfo must be about the same subject. */
  private identityOf(provider: OidcProviderConfig, req: Request, uiProfile: object | undefined, done: Done): void {
    const attempt = loginAttempts.get(req);
    if (!attempt?.claims) return done(new LoginError('no_id_token', 'the ID token was not verified'));
    const userinfo = (uiProfile as { _json?: Record<string, unknown> } | undefined)?._json;
    if (userinfo && userinfo.sub !== attempt.claims.sub) {
      return done(new LoginError('userinfo_mismatch', "the provider's userinfo is about another subject than the ID token"));
    }
    done(null, { provider: provider.name, claims: attempt.claims, userinfo, returnTo: attempt.login.returnTo });
  }
}

const strategyName = (provider: OidcProviderConfig) => `oidc:${provider.name}`;
