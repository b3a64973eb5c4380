import { timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LoginError } from './login-error.js';

/** Signature algorithms a JWKS can verify; HS* (keyed with the client secret) and "none" are refused. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Clocks of the broker and the provider may differ this much. */
export const CLOCK_TOLERANCE_SECONDS = 60;

export interface IdTokenExpectations {
  /** exactly the provider's `issuer` (from discovery) */
  issuer: string;
  clientId: string;
  nonce: string;
  /** the provider's JWKS (createRemoteJWKSet) */
  keys: JWTVerifyGetKey;
  algorithms: string[];
  now: Date;
}

export type IdTokenClaims = JWTPayload & { sub: string; iss: string };

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** jose's reasons, in the words (and codes) the login answers with. */
function problemOf(err: unknown): LoginError {
  const { code, claim, reason, message } = err as { code?: string; claim?: string; reason?: string; message?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new LoginError('expired', 'the ID token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return new LoginError('missing_claims', `the ID token has no "${claim}" claim`);
      if (claim === 'iss') return new LoginError('wrong_issuer', 'the ID token was issued by another provider');
      if (claim === 'aud') return new LoginError('wrong_audience', 'the ID token is meant for another client');
      if (claim === 'nbf' || claim === 'iat') return new LoginError('not_yet_valid', 'the ID token is not valid yet');
      return new LoginError('login_refused', `the ID token's "${claim}" claim is not acceptable`);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new LoginError('signature_invalid', "the ID token's signature is invalid");
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new LoginError('signature_invalid', "the ID token is signed with a key that is not in the provider's JWKS");
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new LoginError('signature_invalid', "the ID token names no key that the provider's JWKS tells apart");
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new LoginError('algorithm_refused', "the ID token's signature algorithm is not accepted");
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return new LoginError('malformed_id_token', 'the ID token is not a well-formed signed JWT');
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return new LoginError('provider_unavailable', `the provider's JWKS could not be read (${code})`);
    default:
      // createRemoteJWKSet's fetch failing (connection refused, a non-200 answer)
      return new LoginError('provider_unavailable', `the provider's JWKS could not be read: ${message ?? String(err)}`);
  }
}

/**
 * Checks an ID token before anything reads it (passport-openidconnect only decodes it): the
 * signature against the provider's JWKS (never "none", never HS*), issuer, audience and authorized
 * party, expiry (with a small tolerance), and that its nonce is this login's.
 */
export async function verifyIdToken(idToken: unknown, expected: IdTokenExpectations): Promise<IdTokenClaims> {
  if (typeof idToken !== 'string' || idToken === '') throw new LoginError('no_id_token', 'the token response carries no ID token');
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(idToken).alg;
  } catch {
    throw new LoginError('malformed_id_token', 'the ID token is not a well-formed signed JWT');
  }
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none') throw new LoginError('unsigned_id_token', 'the ID token is not signed (alg "none" is refused)');
  if (!expected.algorithms.includes(alg)) {
    throw new LoginError('algorithm_refused', `the ID token is signed with ${alg}; accepted: ${expected.algorithms.join(', ')}`);
  }

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, expected.keys, {
      issuer: expected.issuer,
      audience: expected.clientId,
      algorithms: expected.algorithms,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: expected.now,
      requiredClaims: ['sub', 'iat', 'exp'],
    }));
  } catch (err) {
    throw problemOf(err);
  }

  // OpenID Connect Core 3.1.3.7, steps 4 and 5
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp === undefined) {
    throw new LoginError('wrong_audience', 'the ID token names several audiences and no authorized party (azp)');
  }
  if (payload.azp !== undefined && payload.azp !== expected.clientId) throw new LoginError('wrong_audience', 'the ID token was issued to another client (azp)');
  if (typeof payload.nonce !== 'string' || !sameText(payload.nonce, expected.nonce)) {
    throw new LoginError('nonce_mismatch', "the ID token's nonce is not the one of this login");
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new LoginError('missing_claims', 'the ID token has no subject');
  return payload as IdTokenClaims;
}
