import { describe, expect, it } from '@jest/globals';
import { ConfigError, describeVariables, loadConfig } from './config.js';

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
    expect([config.SKYPOOL_QUERY_COST_PER_SECOND, config.SKYPOOL_QUERY_COST_BURST]).toEqual([100_000, 1_000_000]);
  });

  it('refuses a query cost burst below the largest operation allowed, which could never run', () => {
    expect(() => loadConfig({ SKYPOOL_GRAPHQL_MAX_COST: '300000', SKYPOOL_QUERY_COST_BURST: '200000' })).toThrow(
      'SKYPOOL_QUERY_COST_BURST: expected at least SKYPOOL_GRAPHQL_MAX_COST (300000), got "200000"',
    );
  });

  it('gives service accounts 90 days unless told and 365 at most, and refuses a default beyond the maximum', () => {
    const config = loadConfig({});
    expect([config.SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS, config.SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS]).toEqual([90, 365]);
    expect(() => loadConfig({ SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS: '30' })).toThrow(/SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS: expected at most SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS \(30\)/);
    expect(loadConfig({ SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS: '7', SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS: '30' }).SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS).toBe(7);
  });

  it('keeps an empty SKYPOOL_SITES as "no sites"', () => {
    expect(loadConfig({ SKYPOOL_SITES: '' }).SKYPOOL_SITES).toBe('');
  });

  it('registers the demo sites only on the embedded database, or where SKYPOOL_SITES names them', () => {
    const server = { DATABASE_URL: 'postgres://skypool@db.example.edu/skypool', SKYPOOL_SECRET_KEY: 'ab'.repeat(32) };
    expect(loadConfig(server).SKYPOOL_SITES).toBe('');
    expect(loadConfig({ ...server, SKYPOOL_SITES: 'sites/demo' }).SKYPOOL_SITES).toBe('sites/demo');
  });

  it('makes the demo project with the demo sites only, unless SKYPOOL_DEMO_PROJECT says otherwise', () => {
    const server = { DATABASE_URL: 'postgres://skypool@db.example.edu/skypool', SKYPOOL_SECRET_KEY: 'ab'.repeat(32) };
    expect(loadConfig({}).SKYPOOL_DEMO_PROJECT).toBe(true);
    expect(loadConfig({ SKYPOOL_SITES: 'sites/demo' }).SKYPOOL_DEMO_PROJECT).toBe(false);
    expect(loadConfig({ SKYPOOL_SITES: '' }).SKYPOOL_DEMO_PROJECT).toBe(false);
    expect(loadConfig(server).SKYPOOL_DEMO_PROJECT).toBe(false);
    expect(loadConfig({ SKYPOOL_DEMO_PROJECT: 'false' }).SKYPOOL_DEMO_PROJECT).toBe(false);
    expect(loadConfig({ ...server, SKYPOOL_DEMO_PROJECT: 'true' }).SKYPOOL_DEMO_PROJECT).toBe(true);
    expect(() => loadConfig({ SKYPOOL_DEMO_PROJECT: 'yes' })).toThrow(/SKYPOOL_DEMO_PROJECT: expected true or false/);
  });

  it('listens on the loopback interface unless HOST says otherwise', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
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

  describe('OpenID Connect providers', () => {
    const base = {
      OIDC_ISSUER: 'https://login.example.edu/realms/science',
      OIDC_CLIENT_ID: 'skypool',
      OIDC_CLIENT_SECRET: 'a-client-secret',
      OIDC_REDIRECT_URL: 'https://skypool.example.edu/auth/callback',
    };

    function refusal(env: Record<string, string>): ConfigError {
      try {
        loadConfig(env);
      } catch (err) {
        if (err instanceof ConfigError) return err;
        throw err;
      }
      throw new Error('accepted');
    }

    it('disables login when nothing is set', () => {
      expect(loadConfig({}).oidcProviders).toEqual([]);
    });

    it('reads the plain OIDC_* set as the provider "default", and more providers by name', () => {
      const config = loadConfig({
        ...base,
        OIDC_PROVIDERS: 'egi, keycloak',
        OIDC_EGI_ISSUER: 'https://aai.egi.eu/auth/realms/egi',
        OIDC_EGI_CLIENT_ID: 'skypool-egi',
        OIDC_EGI_CLIENT_SECRET: 'egi-secret',
        OIDC_KEYCLOAK_ISSUER: 'http://localhost:8080/realms/test',
        OIDC_KEYCLOAK_CLIENT_ID: 'skypool-kc',
        OIDC_KEYCLOAK_CLIENT_SECRET: 'kc-secret',
        OIDC_KEYCLOAK_REDIRECT_URL: 'http://localhost:4000/auth/callback',
        OIDC_KEYCLOAK_LABEL: 'the test realm',
      });
      expect(config.oidcProviders).toEqual([
        { name: 'default', issuer: base.OIDC_ISSUER, clientId: 'skypool', clientSecret: 'a-client-secret', redirectUrl: base.OIDC_REDIRECT_URL, label: 'login.example.edu' },
        { name: 'egi', issuer: 'https://aai.egi.eu/auth/realms/egi', clientId: 'skypool-egi', clientSecret: 'egi-secret', redirectUrl: base.OIDC_REDIRECT_URL, label: 'egi' },
        { name: 'keycloak', issuer: 'http://localhost:8080/realms/test', clientId: 'skypool-kc', clientSecret: 'kc-secret', redirectUrl: 'http://localhost:4000/auth/callback', label: 'the test realm' },
      ]);
    });

    it('allows extra providers without a default one', () => {
      const config = loadConfig({ OIDC_PROVIDERS: 'egi', OIDC_EGI_ISSUER: 'https://aai.egi.eu/auth/realms/egi', OIDC_EGI_CLIENT_ID: 'c', OIDC_EGI_CLIENT_SECRET: 's', OIDC_EGI_REDIRECT_URL: base.OIDC_REDIRECT_URL });
      expect(config.oidcProviders.map((p) => p.name)).toEqual(['egi']);
    });

    it.each([
      ['OIDC_CLIENT_ID', 'empty', { ...base, OIDC_CLIENT_ID: '' }, /OIDC_CLIENT_ID: expected a value: the OpenID Connect provider "default" needs/],
      ['OIDC_CLIENT_SECRET', 'empty', { ...base, OIDC_CLIENT_SECRET: '' }, /OIDC_CLIENT_SECRET: expected a value/],
      ['OIDC_REDIRECT_URL', 'empty', { ...base, OIDC_REDIRECT_URL: '' }, /OIDC_REDIRECT_URL: expected a value/],
      ['OIDC_ISSUER', 'unset next to OIDC_CLIENT_ID', { OIDC_CLIENT_ID: 'skypool' }, /OIDC_ISSUER: expected a value/],
      ['OIDC_ISSUER', 'plain http to another host', { ...base, OIDC_ISSUER: 'http://login.example.edu/' }, /OIDC_ISSUER: expected an https:\/\/ URL .*, got "http:\/\/login.example.edu\/"/],
      ['OIDC_ISSUER', 'a URL with a query', { ...base, OIDC_ISSUER: 'https://login.example.edu/?realm=x' }, /OIDC_ISSUER: expected an https:\/\/ URL without query/],
      ['OIDC_REDIRECT_URL', 'not the callback path', { ...base, OIDC_REDIRECT_URL: 'https://skypool.example.edu/callback' }, /OIDC_REDIRECT_URL: expected .* ending in \/auth\/callback/],
      ['OIDC_PROVIDERS', 'a name twice', { OIDC_PROVIDERS: 'egi,egi' }, /OIDC_PROVIDERS: expected comma-separated provider names/],
      ['OIDC_PROVIDERS', 'the reserved name', { OIDC_PROVIDERS: 'default' }, /OIDC_PROVIDERS: expected/],
      ['OIDC_PROVIDERS', 'a name with a hyphen (not an environment variable name)', { OIDC_PROVIDERS: 'my-idp' }, /OIDC_PROVIDERS: expected/],
      ['OIDC_EGI_ISSUER', 'unset for a listed provider', { OIDC_PROVIDERS: 'egi' }, /OIDC_EGI_ISSUER: expected a value: the OpenID Connect provider "egi" needs OIDC_EGI_ISSUER, OIDC_EGI_CLIENT_ID, OIDC_EGI_CLIENT_SECRET and OIDC_EGI_REDIRECT_URL \(or OIDC_REDIRECT_URL\)/],
      ['OIDC_EGI_ISSUER', 'not a URL', { OIDC_PROVIDERS: 'egi', OIDC_EGI_ISSUER: 'not a url' }, /OIDC_EGI_ISSUER: expected an https/],
      ['OIDC_EGI_CLIENT_SECRET', 'unset for a listed provider', { ...base, OIDC_PROVIDERS: 'egi', OIDC_EGI_ISSUER: 'https://aai.egi.eu/auth/realms/egi', OIDC_EGI_CLIENT_ID: 'c' }, /OIDC_EGI_CLIENT_SECRET: expected a value/],
      ['OIDC_EGI_REDIRECT_URL', 'unset with no OIDC_REDIRECT_URL to fall back on', { OIDC_PROVIDERS: 'egi', OIDC_EGI_ISSUER: 'https://aai.egi.eu/auth/realms/egi', OIDC_EGI_CLIENT_ID: 'c', OIDC_EGI_CLIENT_SECRET: 's' }, /OIDC_EGI_REDIRECT_URL: expected a value/],
    ])('names %s when it is %s', (name, _what, env, message) => {
      const error = refusal(env as Record<string, string>);
      expect(error.variable).toBe(name);
      expect(error.message).toMatch(message);
    });

    it('documents every setting, with the client secrets marked sensitive', () => {
      const documented = Object.fromEntries(describeVariables().map((v) => [v.name, v.sensitive]));
      expect(documented).toMatchObject({
        OIDC_ISSUER: false,
        OIDC_CLIENT_ID: false,
        OIDC_CLIENT_SECRET: true,
        OIDC_REDIRECT_URL: false,
        OIDC_PROVIDERS: false,
        'OIDC_<NAME>_ISSUER': false,
        'OIDC_<NAME>_CLIENT_SECRET': true,
      });
    });
  });
});
