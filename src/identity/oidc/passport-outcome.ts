import type { Request, Response } from 'express';
import type passport from 'passport';
import type { IdTokenClaims } from './id-token.js';
import { LoginError } from './login-error.js';

/** What a finished callback gives: the verified ID token's claims, and userinfo's if asked. */
export interface VerifiedIdentity {
  provider: string;
  claims: IdTokenClaims;
  userinfo?: Record<string, unknown>;
  returnTo: string;
}

export interface PassportOutcome {
  /** passport (the strategy) wrote the answer itself: the redirect to the provider */
  responded?: boolean;
  err?: unknown;
  identity?: VerifiedIdentity;
  info?: unknown;
}

/** Runs one strategy on one request, with a callback, so the controller decides what to answer. */
export function runPassport(authenticator: InstanceType<typeof passport.Passport>, strategy: string, options: object, req: Request, res: Response): Promise<PassportOutcome> {
  return new Promise((resolve) => {
    res.once('finish', () => resolve({ responded: true }));
    const middleware = authenticator.authenticate(strategy, { session: false, ...options }, (err: unknown, user: VerifiedIdentity | false, info: unknown) =>
      resolve({ err: err ?? undefined, identity: user || undefined, info }),
    );
    middleware(req, res, (err?: unknown) => resolve({ err: err ?? new Error('passport passed the request on without a decision') }));
  });
}

/** The library's error objects carry these. */
interface LibraryError {
  name?: string;
  code?: string;
  message?: string;
  oauthError?: { statusCode?: number; data?: unknown; code?: string; message?: string } | LoginError;
}

/**
 * Why the login failed, from what passport-openidconnect reported: our own LoginErrors (the state
 * store, the ID token checks, passed through the library), the provider's token or authorization
 * errors, or the library's own refusals.
 */
export function problemOf(outcome: PassportOutcome): LoginError {
  const { err, info } = outcome;
  if (err instanceof LoginError) return err;
  if (err) {
    const e = err as LibraryError;
    if (e.oauthError instanceof LoginError) return e.oauthError;
    if (e.name === 'TokenError') {
      return new LoginError('token_request_failed', `the provider refused the authorization code: ${e.code ?? 'error'}${e.message ? ` (${e.message})` : ''}`);
    }
    if (e.name === 'AuthorizationError') return new LoginError('provider_error', `the provider answered ${e.code ?? 'an error'}${e.message ? `: ${e.message}` : ''}`);
    if (e.name === 'InternalOAuthError') {
      const cause = e.oauthError as { statusCode?: number; code?: string; message?: string } | undefined;
      const detail = cause?.statusCode ? `HTTP ${cause.statusCode}` : (cause?.code ?? cause?.message ?? 'no answer');
      const what = e.message?.includes('profile') ? 'userinfo' : 'token';
      return new LoginError('provider_unavailable', `the provider's ${what} endpoint failed (${detail})`);
    }
    return new LoginError('login_refused', (err as Error).message ?? String(err));
  }
  if (info instanceof LoginError) return info;
  // the library's own refusals: `?error=access_denied`, or its checks of the (already verified) claims
  const message = (info as { message?: string } | undefined)?.message;
  if (message === undefined) return new LoginError('access_denied', 'the identity provider did not log you in');
  if (/expired/i.test(message)) return new LoginError('expired', message);
  if (/nonce/i.test(message)) return new LoginError('nonce_mismatch', message);
  if (/issued by expected/i.test(message)) return new LoginError('wrong_issuer', message);
  if (/relying party|authorized party|authorizied party/i.test(message)) return new LoginError('wrong_audience', message);
  return new LoginError('access_denied', message);
}
