import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../common/clock.js';
import { createLogger } from '../common/logging.js';
import { loadConfig } from '../config/config.js';
import type { Db } from '../database/db.js';
import { AuthService, BOOTSTRAP_ADMIN } from './auth.service.js';
import type { LoginSessions } from './oidc/login-sessions.service.js';
import { hashToken } from './tokens.js';

const FIRST = 'first-admin-token-0123456789';
const ROTATED = 'rotated-admin-token-0123456789';

/** An AuthService started with SKYPOOL_ADMIN_TOKEN=`adminToken`, whose every session cookie stands for a session made from `sessionToken`. */
function authWith(adminToken: string, sessionToken: string): AuthService {
  const sessions = { authenticate: () => Promise.resolve({ credentialHash: hashToken(sessionToken) }) } as unknown as LoginSessions;
  // no API token in the table: only the bootstrap admin token authenticates
  const db = { rows: () => Promise.resolve([]) } as unknown as Db;
  return new AuthService(loadConfig({ SKYPOOL_ADMIN_TOKEN: adminToken }), db, sessions, new ManualClock(), createLogger('silent'));
}

describe('AuthService: a session made from the bootstrap admin token', () => {
  it('acts as the bootstrap admin while SKYPOOL_ADMIN_TOKEN is that token', async () => {
    expect(await authWith(FIRST, FIRST).authenticate({ cookie: 'skypool_session=sp_x' })).toEqual({ principal: BOOTSTRAP_ADMIN });
  });

  it('ends once the broker starts with another SKYPOOL_ADMIN_TOKEN', async () => {
    expect(await authWith(ROTATED, FIRST).authenticate({ cookie: 'skypool_session=sp_x' })).toEqual({
      principal: null,
      problem: 'the token this session was made with no longer works: unknown or revoked token',
    });
  });
});
