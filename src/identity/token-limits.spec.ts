import { describe, expect, it } from '@jest/globals';
import { ForbiddenError } from '../common/errors.js';
import type { Principal } from './principal.js';
import { assertNoWiderThanCallerToken, expiryWithinCallerToken } from './token-limits.js';

const now = new Date('2026-03-01T00:00:00Z');
const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000);
const person: Principal = { id: 'user:u1', kind: 'user', name: 'ada', grants: [{ role: 'FEDERATION_ADMIN' }] };
const withToken: Principal = {
  ...person,
  grants: [{ role: 'RESEARCHER', projectId: 'p1' }],
  operations: ['createApiToken', 'me'],
  token: { id: 't1', role: 'RESEARCHER', projectId: 'p1', expiresAt: inDays(2) },
};

describe('assertNoWiderThanCallerToken', () => {
  it('bounds a browser session (no token) by nothing but its roles', () => {
    expect(() => assertNoWiderThanCallerToken(person, { role: 'FEDERATION_ADMIN', projectId: null, operations: null })).not.toThrow();
  });

  it('lets a token make one as narrow as itself, or narrower', () => {
    expect(() => assertNoWiderThanCallerToken(withToken, { role: 'RESEARCHER', projectId: 'p1', operations: ['me'] })).not.toThrow();
  });

  it.each<[string, { role: 'RESEARCHER' | 'PROJECT_MANAGER'; projectId: string | null; operations: string[] | null }, RegExp]>([
    ['a higher role', { role: 'PROJECT_MANAGER', projectId: 'p1', operations: ['me'] }, /^role: this token carries at most RESEARCHER$/],
    ['no project', { role: 'RESEARCHER', projectId: null, operations: ['me'] }, /^projectId: this token is limited to project p1/],
    ['another project', { role: 'RESEARCHER', projectId: 'p2', operations: ['me'] }, /^projectId: /],
    ['every operation', { role: 'RESEARCHER', projectId: 'p1', operations: null }, /^operations: this token may call only createApiToken, me;/],
    ['an operation the token may not call', { role: 'RESEARCHER', projectId: 'p1', operations: ['me', 'submitRequest'] }, /^operations: this token may not call submitRequest$/],
  ])('refuses %s', (_what, wanted, message) => {
    expect(() => assertNoWiderThanCallerToken(withToken, wanted)).toThrow(ForbiddenError);
    expect(() => assertNoWiderThanCallerToken(withToken, wanted)).toThrow(message);
  });
});

describe('expiryWithinCallerToken', () => {
  it('gives the days asked for, or the default', () => {
    expect(expiryWithinCallerToken(person, now, 7, 90)).toEqual(inDays(7));
    expect(expiryWithinCallerToken(person, now, undefined, 90)).toEqual(inDays(90));
  });

  it("cuts the default to the caller token's expiry, and refuses to be asked for more", () => {
    expect(expiryWithinCallerToken(withToken, now, undefined, 90)).toEqual(inDays(2));
    expect(expiryWithinCallerToken(withToken, now, 1, 90)).toEqual(inDays(1));
    expect(() => expiryWithinCallerToken(withToken, now, 3, 90)).toThrow(/^expiresInDays: this token expires at 2026-03-03T00:00:00.000Z \(in 2.00 days\)/);
  });
});
