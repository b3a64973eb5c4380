import { Controller, Get, Header, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from '../config/config.js';
import { cameOverHttps, SESSION_COOKIE, sessionCookieOptions } from './oidc/cookies.js';
import type { NewSession } from './oidc/login-sessions.service.js';
import { signInLinkRefusal } from './sign-in-links.js';
import { TokenSignIn } from './token-sign-in.service.js';

/**
 * POST /auth/token's body is read as text, before the broker's JSON parser (broker.ts), and parsed
 * here: a malformed body is answered in this endpoint's words, without echoing any of the token.
 */
export const TOKEN_SIGN_IN_PATH = '/auth/token';

/** The JSON a caller sent, or undefined when it is not JSON. */
function parsed(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The portal's sign-in without an identity provider. POST /auth/token turns an API token into the
 * session cookie an OIDC login gets; GET /auth/link?code= does the same with the one-time link
 * the broker prints at start. POST /auth/logout (OidcController) ends either.
 */
@Controller('auth')
export class TokenSignInController {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly signIn: TokenSignIn,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * `{"token": "<API token>"}` as application/json: 204 with the cookie, or 400/401 with
   * `{error, message}`. Only JSON is read: a form on another site cannot send it, so no page
   * elsewhere can sign a visitor in as someone else (login CSRF).
   */
  @Post('token')
  @Header('Cache-Control', 'no-store')
  async exchange(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!req.is('application/json')) {
      res.status(400).json({ error: 'json_required', message: 'send the token as JSON, {"token": "<API token>"}, with Content-Type: application/json' });
      return;
    }
    const body = parsed(req.body);
    if (body === undefined) {
      res.status(400).json({ error: 'invalid_json', message: 'the body is not valid JSON; send {"token": "<API token>"}' });
      return;
    }
    const token = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
    if (typeof token !== 'string' || token.trim() === '') {
      res.status(400).json({ error: 'token_missing', message: 'the body must be {"token": "<API token>"}, the token a string' });
      return;
    }
    const outcome = await this.signIn.exchange(token.trim());
    if ('problem' in outcome) {
      this.logger.info({ problem: outcome.problem }, 'sign-in with a token refused');
      res.status(401).json({ error: 'token_refused', message: outcome.problem });
      return;
    }
    this.logger.info({ principal: outcome.principal.id }, 'signed in with a token');
    this.setCookie(req, res, outcome.session);
    res.status(204).end();
  }

  /** The link printed at start: the cookie and off to the portal, or 401 and what to do instead. */
  @Get('link')
  @Header('Cache-Control', 'no-store')
  async link(@Req() req: Request, @Res() res: Response): Promise<void> {
    const code = req.query.code;
    const outcome = typeof code === 'string' && code !== '' ? await this.signIn.redeemLink(code) : null;
    if (!outcome) {
      this.logger.info('a sign-in link was refused: used, unknown or expired');
      res.status(401).type('text/plain').send(`${signInLinkRefusal(this.config)}\n`);
      return;
    }
    this.logger.info({ principal: outcome.principal.id }, 'signed in with the sign-in link');
    this.setCookie(req, res, outcome.session);
    res.redirect(302, '/');
  }

  private setCookie(req: Request, res: Response, session: NewSession): void {
    const maxAgeMs = session.expiresAt.getTime() - this.clock.now().getTime();
    res.cookie(SESSION_COOKIE, session.token, sessionCookieOptions(cameOverHttps(req), maxAgeMs));
  }
}
