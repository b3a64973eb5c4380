import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(4000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.SKYPOOL_DATA_DIR).toBe('./.skypool');
    expect(config.SKYPOOL_SITES).toBe('sites/demo');
    expect(config.SKYPOOL_RECONCILE_CRON).toBe('*/15 * * * * *');
  });

  it('defaults to the pinned rate limit (100 mutations/s, burst 500) and the GraphQL limits', () => {
    const config = loadConfig({});
    expect([config.SKYPOOL_RATE_LIMIT_PER_SECOND, config.SKYPOOL_RATE_LIMIT_BURST]).toEqual([100, 500]);
    expect([config.SKYPOOL_GRAPHQL_MAX_DEPTH, config.SKYPOOL_GRAPHQL_MAX_ALIASES, config.SKYPOOL_GRAPHQL_MAX_TOKENS]).toEqual([12, 30, 5000]);
  });

  it('keeps an empty SKYPOOL_SITES as "no sites"', () => {
    expect(loadConfig({ SKYPOOL_SITES: '' }).SKYPOOL_SITES).toBe('');
  });

  it.each([
    ['PORT', 'http', /PORT: expected an integer from 0 to 65535, got "http"/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL$/],
    ['SKYPOOL_ADMIN_TOKEN', 'short', /SKYPOOL_ADMIN_TOKEN: expected at least 16 characters$/],
    ['SKYPOOL_SECRET_KEY', 'abc', /SKYPOOL_SECRET_KEY: expected 32 bytes/],
    ['SKYPOOL_RECONCILE_CRON', 'every minute', /SKYPOOL_RECONCILE_CRON: expected a cron expression/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: expected fatal, error/],
  ])('names %s when its value %s is wrong, and never echoes a secret', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts a hex or base64 secret key of 32 bytes', () => {
    expect(loadConfig({ SKYPOOL_SECRET_KEY: 'a'.repeat(64) }).SKYPOOL_SECRET_KEY?.length).toBe(32);
    expect(loadConfig({ SKYPOOL_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }).SKYPOOL_SECRET_KEY?.length).toBe(32);
  });
});
