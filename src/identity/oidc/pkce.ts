import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636: 32 random bytes make a 43-character verifier (the shortest allowed, 256 bits). */
export function newCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** The S256 challenge: BASE64URL(SHA-256(verifier)). */
export function codeChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The OpenID Connect nonce that binds the ID token to this browser's login. */
export function newNonce(): string {
  return randomBytes(24).toString('base64url');
}
