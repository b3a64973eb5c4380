import { describe, expect, it } from '@jest/globals';
import { SESSION_TTL_MS, tokenSessionExpiry } from './login-sessions.service.js';

describe('tokenSessionExpiry', () => {
  const now = new Date('2026-05-01T08:00:00Z');

  it('is the usual 12 hours for a token without an expiry, or one that outlives them', () => {
    const usual = new Date(now.getTime() + SESSION_TTL_MS);
    expect(tokenSessionExpiry(now, null)).toEqual(usual);
    expect(tokenSessionExpiry(now, new Date('2026-05-30T00:00:00Z'))).toEqual(usual);
  });

  it('is the token’s expiry when that comes first', () => {
    const tokenExpiry = new Date('2026-05-01T11:30:00Z');
    expect(tokenSessionExpiry(now, tokenExpiry)).toEqual(tokenExpiry);
  });
});
