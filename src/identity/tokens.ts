import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'sp_';

/** API tokens are stored only as this hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}
