import { describe, expect, it } from '@jest/globals';
import { readCookie } from './cookies.js';

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
