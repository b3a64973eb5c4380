import { describe, expect, it } from '@jest/globals';
import { LoginError } from './login-error.js';
import { safeReturnPath } from './return-to.js';

describe('safeReturnPath', () => {
  it.each([
    [undefined, '/'],
    ['', '/'],
    ['/', '/'],
    ['/portal/requests?sort=new#top', '/portal/requests?sort=new#top'],
    ['/a/../b', '/b'],
    ['/a/./b/../c?x=//y', '/a/c?x=//y'],
    ['/%2F/evil.example', '/%2F/evil.example'], // an encoded slash is a character of the path, not a separator
  ])('keeps a path on this site: %p -> %p', (raw, expected) => {
    expect(safeReturnPath(raw)).toBe(expected);
  });

  it.each<[string, unknown]>([
    ['a host after two slashes', '//evil.example/x'],
    ['a host after three slashes', '///evil.example'],
    ['a backslash that browsers read as a slash', '/\\evil.example'],
    ['a backslash and a slash', '/\\/evil.example'],
    ['an absolute URL', 'https://evil.example/'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['two slashes once "." is normalised away', '/.//evil.example'],
    ['two slashes once ".." is normalised away', '/..//evil.example/x'],
    ['two slashes once an encoded ".." is normalised away', '/%2e%2e//evil.example'],
    ['two slashes once ".." climbs out of a folder', '/a/..//evil.example'],
    ['a backslash once ".." is normalised away', '/../\\evil.example'],
    ['a relative path', 'portal'],
    ['a header injection', '/ok\r\nLocation: https://evil.example'],
    ['a tab', '/\tevil'],
    ['a repeated parameter', ['/a', '/b']],
    ['a number', 42],
    ['2 KB and more', '/' + 'a'.repeat(2048)],
  ])('refuses %s', (_what, raw) => {
    expect(() => safeReturnPath(raw)).toThrow(LoginError);
    try {
      safeReturnPath(raw);
    } catch (err) {
      expect((err as LoginError).problem).toBe('invalid_return_to');
      expect((err as LoginError).status).toBe(400);
    }
  });
});
