import { describe, expect, it } from '@jest/globals';
import { cameOverHttps, readCookie, sessionCookieOptions } from './cookies.js';

describe('readCookie', () => {
  it('finds a cookie by its exact name among others', () => {
    const header = 'skypool_session_old=x; skypool_session=sp_abc-_1; _session=zzz';
    expect(readCookie(header, 'skypool_session')).toBe('sp_abc-_1');
    expect(readCookie(header, '_session')).toBe('zzz');
    expect(readCookie(header, 'session')).toBeUndefined();
  });

  it('decodes what res.cookie encoded, and tolerates quotes and odd input', () => {
    expect(readCookie('a=b%20c', 'a')).toBe('b c');
    expect(readCookie('a="quoted"', 'a')).toBe('quoted');
    expect(readCookie('a=%E0%A4%A', 'a')).toBe('%E0%A4%A');
    expect(readCookie(undefined, 'a')).toBeUndefined();
    expect(readCookie('garbage', 'a')).toBeUndefined();
  });
});

describe('the session cookie', () => {
  it('is httpOnly, SameSite=Lax, on every path, and Secure only when asked', () => {
    expect(sessionCookieOptions(false, 60_000)).toEqual({ httpOnly: true, sameSite: 'lax', path: '/', secure: false, maxAge: 60_000 });
    expect(sessionCookieOptions(true, 60_000).secure).toBe(true);
  });

  it('is Secure when the browser came over https, directly or as a TLS proxy says', () => {
    expect(cameOverHttps({ secure: true, headers: {} })).toBe(true);
    expect(cameOverHttps({ secure: false, headers: {} })).toBe(false);
    expect(cameOverHttps({ secure: false, headers: { 'x-forwarded-proto': 'https' } })).toBe(true);
    expect(cameOverHttps({ secure: false, headers: { 'x-forwarded-proto': 'HTTPS, http' } })).toBe(true); // the proxy nearest the browser comes first
    expect(cameOverHttps({ secure: false, headers: { 'x-forwarded-proto': 'http' } })).toBe(false);
  });
});
