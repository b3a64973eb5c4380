import { describe, expect, it } from '@jest/globals';
import { signInLinkAtStart, signInLinkRefusal } from './sign-in-links.js';

describe('the sign-in link printed at start', () => {
  it('is printed on the embedded database, whether the admin token is generated or set, and never with DATABASE_URL', () => {
    expect(signInLinkAtStart({ DATABASE_URL: undefined })).toBe(true);
    expect(signInLinkAtStart({ DATABASE_URL: 'postgres://skypool@db.example.edu/skypool' })).toBe(false);
  });

  it('once spent, tells where the admin token is instead', () => {
    const embedded = { DATABASE_URL: undefined, SKYPOOL_DATA_DIR: '/var/lib/skypool', SKYPOOL_ADMIN_TOKEN: undefined };
    expect(signInLinkRefusal(embedded)).toBe(
      'this sign-in link has been used or has expired; restart the broker for a new one, or sign in with the token in /var/lib/skypool/admin-token',
    );
    expect(signInLinkRefusal({ ...embedded, SKYPOOL_ADMIN_TOKEN: 'chosen-by-the-operator' })).toMatch(/or sign in with the token set in SKYPOOL_ADMIN_TOKEN$/);
    expect(signInLinkRefusal({ ...embedded, DATABASE_URL: 'postgres://skypool@db.example.edu/skypool' })).toBe(
      'this broker prints no sign-in links (it runs with DATABASE_URL); sign in with an API token',
    );
  });
});
