import { beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey, type JWTVerifyGetKey, SignJWT, UnsecuredJWT } from 'jose';
import { CLOCK_TOLERANCE_SECONDS, type IdTokenExpectations, verifyIdToken } from './id-token.js';
import { LoginError } from './login-error.js';

const ISSUER = 'https://idp.example.edu/realms/science';
const CLIENT = 'skypool';
const NONCE = 'n0nce-n0nce-n0nce-n0nce-n0nce-n0';
const NOW = new Date('2026-03-01T12:00:00Z');
const SECONDS = Math.floor(NOW.getTime() / 1000);

describe('verifyIdToken', () => {
  let key: CryptoKey;
  let stranger: CryptoKey;
  let keys: JWTVerifyGetKey;
  let expected: IdTokenExpectations;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    stranger = (await generateKeyPair('RS256')).privateKey;
    keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] });
    expected = { issuer: ISSUER, clientId: CLIENT, nonce: NONCE, keys, algorithms: ['RS256', 'ES256'], now: NOW };
  });

  const claims = (overrides: Record<string, unknown> = {}) => ({ iss: ISSUER, aud: CLIENT, sub: 'ada', nonce: NONCE, iat: SECONDS - 10, exp: SECONDS + 300, ...overrides });
  const sign = (c: Record<string, unknown>, signer = key, header: Record<string, unknown> = {}) =>
    new SignJWT(c).setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header }).sign(signer);

  async function problem(token: unknown, overrides: Partial<IdTokenExpectations> = {}): Promise<string> {
    try {
      await verifyIdToken(token, { ...expected, ...overrides });
      return 'accepted';
    } catch (err) {
      if (err instanceof LoginError) return err.problem;
      throw err;
    }
  }

  it('accepts a good token and returns its claims', async () => {
    const payload = await verifyIdToken(await sign(claims({ email: 'ada@example.edu' })), expected);
    expect(payload).toMatchObject({ sub: 'ada', iss: ISSUER, email: 'ada@example.edu' });
  });

  it('accepts an audience list that holds this client, with this client as authorized party', async () => {
    expect(await problem(await sign(claims({ aud: [CLIENT, 'api'], azp: CLIENT })))).toBe('accepted');
  });

  it('allows the clocks to differ a little, not more', async () => {
    expect(await problem(await sign(claims({ exp: SECONDS - CLOCK_TOLERANCE_SECONDS + 5 })))).toBe('accepted');
    expect(await problem(await sign(claims({ exp: SECONDS - CLOCK_TOLERANCE_SECONDS - 5 })))).toBe('expired');
    expect(await problem(await sign(claims({ nbf: SECONDS + CLOCK_TOLERANCE_SECONDS + 5 })))).toBe('not_yet_valid');
  });

  it.each<[string, () => Promise<unknown> | unknown, string]>([
    ['another nonce', () => sign(claims({ nonce: 'other' })), 'nonce_mismatch'],
    ['no nonce', () => sign(claims({ nonce: undefined })), 'nonce_mismatch'],
    ['another key', () => sign(claims(), stranger), 'signature_invalid'],
    ['a kid not in the JWKS', () => sign(claims(), key, { kid: 'k2' }), 'signature_invalid'],
    ['alg none', () => new UnsecuredJWT(claims()).encode(), 'unsigned_id_token'],
    ['an algorithm the provider does not use', async () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('the client secret, as a key')), 'algorithm_refused'],
    ['another audience', () => sign(claims({ aud: 'other' })), 'wrong_audience'],
    ['several audiences and no azp', () => sign(claims({ aud: [CLIENT, 'other'] })), 'wrong_audience'],
    ['another authorized party', () => sign(claims({ azp: 'other' })), 'wrong_audience'],
    ['another issuer', () => sign(claims({ iss: 'https://idp.example.edu/realms/other' })), 'wrong_issuer'],
    ['an issuer that differs by a trailing slash', () => sign(claims({ iss: `${ISSUER}/` })), 'wrong_issuer'],
    ['an expired token', () => sign(claims({ iat: SECONDS - 3600, exp: SECONDS - 600 })), 'expired'],
    ['no subject', () => sign(claims({ sub: undefined })), 'missing_claims'],
    ['no expiry', () => sign(claims({ exp: undefined })), 'missing_claims'],
    ['nothing', () => undefined, 'no_id_token'],
    ['not a JWT', () => 'a.b', 'malformed_id_token'],
  ])('refuses a token with %s', async (_what, make, expectedProblem) => {
    expect(await problem(await make())).toBe(expectedProblem);
  });
});
