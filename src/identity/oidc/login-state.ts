import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../../common/clock.js';
import type { SecretBox } from '../../common/secret-box.js';
import { LOGIN_COOKIE, readCookie } from './cookies.js';
import { LoginError } from './login-error.js';

/** How long a browser may take at the identity provider. */
export const LOGIN_TTL_MS = 10 * 60_000;
const PURPOSE = 'skypool-oidc-login';

/** What one login needs to remember between /auth/login and /auth/callback. */
export interface PendingLogin {
  provider: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
}

export interface SealedLogin extends PendingLogin {
  /** the OAuth `state` */
  handle: string;
  expiresAt: number;
}

/**
 * The login state lives in the browser, sealed (AES-256-GCM: encrypted and authenticated) with
 * the deployment's key, so any broker process of the deployment can finish a login another one
 * started, and no session middleware or table is needed. httpOnly, SameSite=Lax (the callback is a
 * top-level navigation from the provider), 10 minutes.
 */
export class LoginStateCookie {
  constructor(
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** Sets the cookie; returns the `state` value for the authorization request. */
  write(res: Response, login: PendingLogin, secure: boolean): string {
    const handle = randomBytes(24).toString('base64url');
    const sealed: SealedLogin & { purpose: string } = { purpose: PURPOSE, ...login, handle, expiresAt: this.clock.now().getTime() + LOGIN_TTL_MS };
    res.cookie(LOGIN_COOKIE, this.box.seal(JSON.stringify(sealed)), { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: LOGIN_TTL_MS });
    return handle;
  }

  /** The login this browser started, or a LoginError that says why there is none. */
  open(cookieHeader: string | undefined): SealedLogin {
    const value = readCookie(cookieHeader, LOGIN_COOKIE);
    if (!value) throw new LoginError('no_login', 'no login in progress in this browser (the login cookie is missing or has expired); start again at /auth/login');
    let login: Partial<SealedLogin> & { purpose?: unknown };
    try {
      login = JSON.parse(this.box.open(value));
    } catch {
      throw new LoginError('bad_state', 'the login cookie was not made by this deployment');
    }
    const texts = [login.provider, login.codeVerifier, login.nonce, login.returnTo, login.handle];
    if (login.purpose !== PURPOSE || texts.some((t) => typeof t !== 'string') || typeof login.expiresAt !== 'number') {
      throw new LoginError('bad_state', 'the login cookie was not made by this deployment');
    }
    if (login.expiresAt <= this.clock.now().getTime()) throw new LoginError('login_expired', 'the login took too long; start again at /auth/login');
    return login as SealedLogin;
  }

  clear(res: Response): void {
    res.clearCookie(LOGIN_COOKIE, { httpOnly: true, sameSite: 'lax', path: '/' });
  }
}

/**
 * States already used at a callback of this process, until they expire. The cookie is cleared at
 * the callback and the provider accepts a code once; this stops a replay of the same callback
 * (cookie and all) before the code even reaches the provider.
 */
export class UsedStates {
  private readonly used = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** True the first time a state is seen. */
  consume(handle: string, expiresAt: number): boolean {
    const now = this.clock.now().getTime();
    for (const [h, until] of this.used) {
      if (until > now) break; // insertion order is expiry order (a fixed lifetime)
      this.used.delete(h);
    }
    if (this.used.has(handle)) return false;
    this.used.set(handle, expiresAt);
    return true;
  }
}

/** A callback in progress: the login it finishes, and the ID token's claims once verified. */
export interface LoginAttempt {
  login: SealedLogin;
  claims?: Record<string, unknown> & { sub: string; iss: string };
}

/** passport-openidconnect hands the request, not our data, from step to step; this carries it. */
export const loginAttempts = new WeakMap<Request, LoginAttempt>();

type StoreCallback = (err: Error | null, handle?: string) => void;
type VerifyCallback = (err: Error | null, ctx?: false | object, info?: unknown) => void;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * passport-openidconnect's state store (its default needs express-session), for one provider:
 * `store` seals the login into the cookie, `verify` checks the `state` the provider sent back
 * against it, once.
 */
export class CookieStateStore {
  constructor(
    private readonly provider: string,
    private readonly cookie: LoginStateCookie,
    private readonly usedStates: UsedStates,
    private readonly secure: boolean,
  ) {}

  store(req: Request, _ctx: object, login: PendingLogin, _meta: object, callback: StoreCallback): void {
    callback(null, this.cookie.write(req.res!, login, this.secure));
  }

  verify(req: Request, state: unknown, callback: VerifyCallback): void {
    let login: SealedLogin;
    try {
      login = this.cookie.open(req.headers.cookie);
    } catch (err) {
      if (!(err instanceof LoginError)) return callback(err as Error);
      return callback(null, false, err);
    }
    if (login.provider !== this.provider || typeof state !== 'string' || !sameText(state, login.handle)) {
      return callback(null, false, new LoginError('bad_state', 'the state parameter does not match the login this browser started'));
    }
    if (!this.usedStates.consume(login.handle, login.expiresAt)) {
      return callback(null, false, new LoginError('state_used', 'this login callback has already been used'));
    }
    loginAttempts.set(req, { login });
    callback(null, {}, login);
  }
}
