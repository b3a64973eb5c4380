import { Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { LOGGER } from '../../common/logging.js';
import { readCookie, SESSION_COOKIE, SESSION_COOKIE_SCOPE, sessionCookieOptions } from './cookies.js';
import { LoginError } from './login-error.js';
import { LoginSessions, SESSION_TTL_MS } from './login-sessions.service.js';
import { OidcLoginService } from './oidc-login.service.js';
import { OidcProviders } from './oidc-providers.service.js';
import { problemOf } from './passport-outcome.js';
import { newCodeVerifier, newNonce } from './pkce.js';
import { safeReturnPath } from './return-to.js';

/**
 * Browser login with OpenID Connect (authorization code flow with PKCE, state and nonce):
 * GET /auth/login?provider=&returnTo= -> the provider -> GET /auth/callback -> a session cookie.
 */
@Controller('auth')
export class OidcController {
  constructor(
    private readonly providers: OidcProviders,
    private readonly logins: OidcLoginService,
    private readonly sessions: LoginSessions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get('login')
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    let provider: string | undefined;
    try {
      const chosen = this.providers.choose(req.query.provider);
      provider = chosen.name;
      const returnTo = safeReturnPath(req.query.returnTo);
      const ready = await this.providers.prepare(chosen);
      const login = { provider: chosen.name, codeVerifier: newCodeVerifier(), nonce: newNonce(), returnTo };
      const outcome = await this.providers.run(ready, { phase: 'start', state: login }, req, res);
      if (!outcome.responded) throw problemOf(outcome);
    } catch (err) {
      this.refuse(res, err, 'login refused', provider);
    }
  }

  /** The identity providers the portal's sign-in page shows, a button each; [] without login. */
  @Get('providers')
  providerList(): { name: string; label: string }[] {
    return this.providers.list();
  }

  @Get('callback')
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    let provider: string | undefined;
    try {
      // whatever happens, this login's cookie has done its work
      this.providers.loginCookie.clear(res);
      // the cookie says which provider this login went to; that provider's state store checks it again
      const login = this.providers.loginCookie.open(req.headers.cookie);
      provider = login.provider;
      const ready = await this.providers.prepare(this.providers.choose(login.provider));
      const outcome = await this.providers.run(ready, { phase: 'finish' }, req, res);
      if (!outcome.identity) throw problemOf(outcome);
      const session = await this.logins.complete(outcome.identity);
      const secure = new URL(ready.config.redirectUrl).protocol === 'https:';
      res.cookie(SESSION_COOKIE, session.token, sessionCookieOptions(secure, SESSION_TTL_MS));
      res.redirect(302, outcome.identity.returnTo);
    } catch (err) {
      this.refuse(res, err, 'login failed', provider);
    }
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    // whichever way the session began: an OIDC login or a token
    if (token && (await this.sessions.end(token))) this.logger.info('signed out');
    res.clearCookie(SESSION_COOKIE, SESSION_COOKIE_SCOPE);
    res.status(204).end();
  }

  /** A short JSON answer that names the problem; the log line says the same, never a token. */
  private refuse(res: Response, err: unknown, what: string, provider: string | undefined): void {
    if (err instanceof LoginError) {
      this.logger.warn({ provider, problem: err.problem, reason: err.message }, what);
      if (!res.headersSent) res.status(err.status).json(err.toJSON());
      return;
    }
    this.logger.error({ provider, err }, `${what}: unexpected error`);
    if (!res.headersSent) res.status(500).json({ error: 'internal_error', message: 'the login could not be completed; the broker log says why' });
  }
}
