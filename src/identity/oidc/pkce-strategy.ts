import type { Request } from 'express';
import type { dataCallback, OAuth2, oauth2tokenCallback } from 'oauth';
import OpenIDConnectStrategy from 'passport-openidconnect';
import type { IdTokenClaims } from './id-token.js';
import { LoginError } from './login-error.js';
import { type LoginAttempt, loginAttempts, type PendingLogin } from './login-state.js';
import { codeChallenge } from './pkce.js';

/** node-oauth sets no timeout on the token and userinfo requests; a login should not hang. */
const PROVIDER_TIMEOUT_MS = 10_000;

/** The callback, called once: by the answer, or with `late()` after `ms`. */
function withDeadline<A extends unknown[]>(callback: (...args: A) => void, ms: number, late: () => A): (...args: A) => void {
  let done = false;
  const timer = setTimeout(() => {
    done = true;
    callback(...late());
  }, ms);
  timer.unref();
  return (...args: A) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    callback(...args);
  };
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** What the controller asks for: send the browser to the provider, or finish at the callback. */
export type LoginPhaseOptions = OpenIDConnectStrategy.AuthenticateOptions & { phase: 'start' | 'finish'; state?: PendingLogin };

export type StrategyOptions = OpenIDConnectStrategy.StrategyOptions & {
  /** the signature and claim checks of the ID token (id-token.ts), bound to the provider */
  verifyIdToken(idToken: unknown, nonce: string): Promise<IdTokenClaims>;
};

/**
 * passport-openidconnect 0.1 with what it lacks: PKCE (S256) and a verified ID token.
 *
 * Why a subclass: the library's only hook into the authorization request is
 * `authorizationParams(options)`, which adds code_challenge, code_challenge_method and our nonce
 * from the login the controller made. For the token request it has no hook at all; it calls
 * `this._oauth2.getOAuthAccessToken(code, params, cb)` with fixed params. So `authenticate`, which
 * passport runs on a per-request copy of the strategy, gives that copy its own view of the OAuth2
 * client: it adds this login's `code_verifier` to the token request and verifies the ID token of
 * the answer (jose, against the JWKS) before the library reads a claim of it. The library's own
 * checks of the decoded claims still run afterwards, on a token already known to be good.
 */
export class PkceOpenIdStrategy extends OpenIDConnectStrategy {
  private readonly verifyIdToken: StrategyOptions['verifyIdToken'];
  private readonly issuer: string;

  constructor(options: StrategyOptions, verify: OpenIDConnectStrategy.VerifyFunction) {
    super(options, verify);
    this.verifyIdToken = options.verifyIdToken;
    this.issuer = options.issuer;
  }

  override authorizationParams(options: LoginPhaseOptions): object {
    const login = options.state!;
    return { code_challenge: codeChallenge(login.codeVerifier), code_challenge_method: 'S256', nonce: login.nonce };
  }

  override authenticate(req: Request, options: LoginPhaseOptions): void {
    // The library picks its branch from the query (a `code` or `error` means "callback"); hold it
    // to the route's phase, so /auth/login never finishes a login and /auth/callback never starts one.
    const query = (req.query ?? {}) as Record<string, unknown>;
    const callback = query.code !== undefined || query.error !== undefined;
    if (options.phase === 'start' && callback) {
      return this.fail(new LoginError('unexpected_parameters', '/auth/login takes only provider and returnTo'), 400);
    }
    if (options.phase === 'finish') {
      if (!callback) return this.fail(new LoginError('no_code', 'the callback carries neither an authorization code nor an error'), 401);
      if (query.code !== undefined && (typeof query.code !== 'string' || typeof query.state !== 'string')) {
        return this.fail(new LoginError('bad_state', 'the callback must carry one code and one state'), 401);
      }
      // RFC 9207: a provider that names itself in the response must be the one this login went to
      if (query.iss !== undefined && query.iss !== this.issuer) {
        return this.fail(new LoginError('wrong_issuer', 'the authorization response comes from another provider'), 401);
      }
      this._oauth2 = this.oauth2For(req);
    }
    super.authenticate(req, options);
  }

  /** The shared OAuth2 client, seen through this one callback. */
  private oauth2For(req: Request): OAuth2 {
    const shared = this._oauth2;
    const view = Object.create(shared) as OAuth2;
    view.getOAuthAccessToken = ((code: string, params: Record<string, string>, answer: oauth2tokenCallback) => {
      const callback = withDeadline(answer, PROVIDER_TIMEOUT_MS, (): Parameters<oauth2tokenCallback> => [
        new LoginError('provider_unavailable', `the provider's token endpoint did not answer within ${PROVIDER_TIMEOUT_MS / 1000} s`),
      ]);
      // the state store has checked the state and recorded the login before the token request
      const attempt = loginAttempts.get(req);
      if (!attempt) return callback(new LoginError('bad_state', 'no verified login state for this callback'));
      shared.getOAuthAccessToken(code, { ...params, code_verifier: attempt.login.codeVerifier }, (err, accessToken, refreshToken, result) => {
        if (err) return callback(err, accessToken, refreshToken, result);
        this.verifyInto(attempt, result?.id_token)
          .then(
            () => callback(null as never, accessToken, refreshToken, result),
            (problem: Error) => callback(problem),
          )
          .catch((err: Error) => this.error(err)); // whatever the library throws from here on
      });
    }) as OAuth2['getOAuthAccessToken'];
    // the library meets a userinfo body that is not a JSON object with an exception thrown from a
    // socket callback (a ReferenceError for non-JSON, a TypeError for `null`), which would end the
    // process: refuse such a body here
    view.get = (url: string, accessToken: string, answer: dataCallback) => {
      const callback = withDeadline(answer, PROVIDER_TIMEOUT_MS, (): Parameters<dataCallback> => [{ statusCode: 504, data: 'no answer' }]);
      return shared.get(url, accessToken, (err, body, response) => {
        if (!err && !isJsonObject(String(body))) return callback({ statusCode: 502, data: 'the userinfo answer is not a JSON object' });
        callback(err, body, response);
      });
    };
    return view;
  }

  private async verifyInto(attempt: LoginAttempt, idToken: unknown): Promise<void> {
    attempt.claims = await this.verifyIdToken(idToken, attempt.login.nonce);
  }
}
