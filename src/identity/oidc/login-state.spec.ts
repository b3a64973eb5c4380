import { describe, expect, it } from '@jest/globals';
import type { Response } from 'express';
import { ManualClock } from '../../common/clock.js';
import { SecretBox } from '../../common/secret-box.js';
import { LOGIN_COOKIE } from './cookies.js';
import { LoginError } from './login-error.js';
import { LOGIN_TTL_MS, LoginStateCookie, UsedStates } from './login-state.js';

/** Just enough of an Express response to catch res.cookie. */
function fakeResponse() {
  const set: { name: string; value: string; options: Record<string, unknown> }[] = [];
  const res = { cookie: (name: string, value: string, options: Record<string, unknown>) => set.push({ name, value, options }) } as unknown as Response;
  return { res, set };
}

const login = { provider: 'default', codeVerifier: 'v'.repeat(43), nonce: 'n'.repeat(32), returnTo: '/portal' };

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof LoginError) return err.problem;
    throw err;
  }
  return 'none';
}

describe('LoginStateCookie', () => {
  const box = new SecretBox(Buffer.alloc(32, 1));

  it('seals the login into an httpOnly, SameSite=Lax cookie and opens it again', () => {
    const clock = new ManualClock();
    const cookies = new LoginStateCookie(box, clock);
    const { res, set } = fakeResponse();
    const state = cookies.write(res, login, true);
    expect(set).toHaveLength(1);
    expect(set[0]).toMatchObject({ name: LOGIN_COOKIE, options: { httpOnly: true, sameSite: 'lax', secure: true, path: '/', maxAge: LOGIN_TTL_MS } });
    expect(set[0]!.value).not.toContain(login.codeVerifier);
    expect(cookies.open(`${LOGIN_COOKIE}=${set[0]!.value}`)).toEqual({ ...login, handle: state, expiresAt: clock.now().getTime() + LOGIN_TTL_MS, purpose: 'skypool-oidc-login' });
  });

  it('refuses a missing, tampered, foreign or expired cookie, each for what it is', () => {
    const clock = new ManualClock();
    const cookies = new LoginStateCookie(box, clock);
    const { res, set } = fakeResponse();
    cookies.write(res, login, false);
    const value = set[0]!.value;
    expect(problem(() => cookies.open(undefined))).toBe('no_login');
    expect(problem(() => cookies.open('other=1'))).toBe('no_login');
    const [v, iv, tag, body] = value.split('.');
    const flipped = body!.slice(0, -2) + (body!.endsWith('AA') ? 'BB' : 'AA');
    expect(problem(() => cookies.open(`${LOGIN_COOKIE}=${[v, iv, tag, flipped].join('.')}`))).toBe('bad_state');
    const foreign = new LoginStateCookie(new SecretBox(Buffer.alloc(32, 2)), clock);
    expect(problem(() => foreign.open(`${LOGIN_COOKIE}=${value}`))).toBe('bad_state');
    // a value sealed with the same key for another purpose (as site credentials are) is no login
    expect(problem(() => cookies.open(`${LOGIN_COOKIE}=${box.seal(JSON.stringify({ ...login, handle: 'h', expiresAt: Date.now() * 2 }))}`))).toBe('bad_state');
    clock.advance(LOGIN_TTL_MS);
    expect(problem(() => cookies.open(`${LOGIN_COOKIE}=${value}`))).toBe('login_expired');
  });
});

describe('UsedStates', () => {
  it('accepts a state once, and forgets it when it has expired anyway', () => {
    const clock = new ManualClock();
    const used = new UsedStates(clock);
    const until = clock.now().getTime() + 1000;
    expect(used.consume('a', until)).toBe(true);
    expect(used.consume('a', until)).toBe(false);
    expect(used.consume('b', until + 10)).toBe(true);
    clock.advance(1005);
    expect(used.consume('c', clock.now().getTime() + 1000)).toBe(true);
    expect(used.consume('b', until + 10)).toBe(false); // not expired yet: still remembered
    expect((used as unknown as { used: Map<string, number> }).used.has('a')).toBe(false);
  });
});
