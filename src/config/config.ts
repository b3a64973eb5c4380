import cron from 'node-cron';

/**
 * The broker's configuration: one validated object built from the environment at start.
 * Each variable has a description and a sensitivity flag; a bad value stops the start with
 * one line that names the variable and says what is expected.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
    got: string | undefined,
  ) {
    super(`${variable}: expected ${expected}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}`);
    this.name = 'ConfigError';
  }
}

interface Variable<T> {
  description: string;
  sensitive: boolean;
  /** Turns the raw value (undefined when unset) into the typed one, or says what is expected. */
  parse(raw: string | undefined): T | { expected: string };
}

/** Unset or empty: undefined. */
const optionalText = (raw: string | undefined): string | undefined => raw || undefined;

function integer(min: number, max: number, fallback: number): Variable<number>['parse'] {
  return (raw) => {
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    return Number.isInteger(value) && value >= min && value <= max ? value : { expected: `an integer from ${min} to ${max}` };
  };
}

function cronExpression(fallback: string): Variable<string>['parse'] {
  return (raw) => {
    const value = raw === undefined || raw === '' ? fallback : raw;
    return cron.validate(value) ? value : { expected: 'a cron expression with seconds, e.g. "*/15 * * * * *"' };
  };
}

/** A prefix of environment variable names: letters, digits and underscores, not empty. */
function envPrefix(raw: string | undefined): string | { expected: string } {
  if (raw === undefined || raw === '') return 'SKYPOOL_SITE_';
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(raw) ? raw : { expected: 'the start of environment variable names (letters, digits, _), e.g. SKYPOOL_SITE_' };
}

/** 32 bytes as 64 hex digits or base64 (`openssl rand -hex 32`). */
export function secretKey(raw: string | undefined): Buffer | undefined | { expected: string } {
  if (raw === undefined || raw === '') return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  return key.length === 32 ? key : { expected: '32 bytes as 64 hex digits or base64' };
}

/** http:// only on the loopback interface (a provider on the same machine, or a test); https:// elsewhere. */
function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

function issuerUrl(raw: string | undefined): string | undefined | { expected: string } {
  if (raw === undefined || raw === '') return undefined;
  const expected = { expected: 'an https:// URL without query or fragment (http:// only for localhost)' };
  try {
    const url = new URL(raw);
    if (url.search || url.hash) return expected;
    if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url))) return raw;
  } catch {
    // fall through
  }
  return expected;
}

function callbackUrl(raw: string | undefined): string | undefined | { expected: string } {
  if (raw === undefined || raw === '') return undefined;
  const expected = { expected: 'an http(s):// URL of the broker ending in /auth/callback, e.g. https://skypool.example.edu/auth/callback' };
  try {
    const url = new URL(raw);
    if ((url.protocol === 'https:' || url.protocol === 'http:') && url.pathname.endsWith('/auth/callback') && !url.search && !url.hash) return raw;
  } catch {
    // fall through
  }
  return expected;
}

const PROVIDER_NAME = /^[a-z][a-z0-9_]{0,31}$/;

function providerNames(raw: string | undefined): string[] | { expected: string } {
  const names = (raw ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  const expected = { expected: 'comma-separated provider names ([a-z][a-z0-9_]*, not "default", each once), e.g. egi,keycloak' };
  if (names.some((n) => !PROVIDER_NAME.test(n) || n === 'default') || new Set(names).size !== names.length) return expected;
  return names;
}

/** The settings of one OpenID Connect provider: the plain OIDC_* set (named `default`) and each OIDC_<NAME>_* set. */
const providerSettings = {
  ISSUER: {
    description: 'issuer URL of the OpenID Connect provider; its discovery document is <issuer>/.well-known/openid-configuration',
    sensitive: false,
    parse: issuerUrl,
  },
  CLIENT_ID: {
    description: 'client id Skypool is registered with at the provider',
    sensitive: false,
    parse: optionalText,
  },
  CLIENT_SECRET: {
    description: 'client secret of that registration (sent as client_secret_post)',
    sensitive: true,
    parse: optionalText,
  },
  REDIRECT_URL: {
    description: "the broker's login callback as browsers reach it, ending in /auth/callback (registered at the provider)",
    sensitive: false,
    parse: callbackUrl,
  },
  LABEL: {
    description: 'what the portal\'s sign-in button says after "Sign in with", e.g. University of Michigan; unset: the provider\'s name (for the default provider, its issuer\'s host)',
    sensitive: false,
    parse: optionalText,
  },
} satisfies Record<string, Variable<string | undefined>>;

/** One configured OpenID Connect provider. */
export interface OidcProviderConfig {
  /** `default` for the plain OIDC_* set, else its name in OIDC_PROVIDERS */
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  /** the sign-in button's words after "Sign in with" */
  label: string;
}

const variables = {
  PORT: {
    description: 'HTTP port of the API (0 picks a free one)',
    sensitive: false,
    parse: integer(0, 65535, 4000),
  },
  HOST: {
    description: 'address the HTTP server binds to; 0.0.0.0 (or ::) serves a network or a container',
    sensitive: false,
    parse: (raw) => raw || '127.0.0.1',
  } as Variable<string>,
  NODE_ENV: {
    description: '"production" hardens the API (no introspection, no sandbox, no field suggestions)',
    sensitive: false,
    parse: (raw) => (raw === undefined || ['development', 'production', 'test'].includes(raw) ? (raw ?? 'development') : { expected: 'development, production or test' }),
  } as Variable<string>,
  DATABASE_URL: {
    description: 'a PostgreSQL server (postgres://...); unset: the embedded PostgreSQL',
    sensitive: true,
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      try {
        const url = new URL(raw);
        if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return raw;
      } catch {
        // fall through to the error below
      }
      return { expected: 'a postgres:// or postgresql:// URL' };
    },
  } as Variable<string | undefined>,
  SKYPOOL_DATA_DIR: {
    description: 'where the embedded database, the emulator state and a generated key live',
    sensitive: false,
    parse: (raw) => raw || './.skypool',
  } as Variable<string>,
  SKYPOOL_SITES: {
    description: 'a folder of site descriptors (YAML) applied at start; empty: none; unset: sites/demo on the embedded database, none with DATABASE_URL',
    sensitive: false,
    // unset is decided in loadConfig, which knows whether DATABASE_URL is set
    parse: (raw) => raw,
  } as Variable<string | undefined>,
  SKYPOOL_DEMO_PROJECT: {
    description: "true: at start, when there is no project yet, make a project 'demo' (University of Michigan) with an allocation, so the demo federation can run a VM at once; unset: true with the demo sites (SKYPOOL_SITES unset on the embedded database)",
    sensitive: false,
    // unset is decided in loadConfig, with SKYPOOL_SITES
    parse: (raw) => (raw === undefined || raw === '' ? undefined : raw === 'true' ? true : raw === 'false' ? false : { expected: 'true or false' }),
  } as Variable<boolean | undefined>,
  SKYPOOL_SITE_ENV_PREFIX: {
    description: 'site descriptors may read credentials (env:NAME) only from environment variables whose names start with this; never from Skypool\'s own settings',
    sensitive: false,
    parse: envPrefix,
  },
  SKYPOOL_CREDENTIALS_DIR: {
    description: 'the folder site descriptors may read credential files from (file:PATH); unset: file: references are refused',
    sensitive: false,
    parse: optionalText,
  },
  SKYPOOL_ADMIN_TOKEN: {
    description: 'bootstrap token of the built-in federation administrator',
    sensitive: true,
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      return raw.length >= 16 ? raw : { expected: 'at least 16 characters' };
    },
  } as Variable<string | undefined>,
  SKYPOOL_METRICS_TOKEN: {
    description: 'when set, /metrics answers only requests with Authorization: Bearer <this token> (what a Prometheus scrape config sends as its bearer token)',
    sensitive: true,
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      return raw.length >= 16 && !/\s/.test(raw) ? raw : { expected: 'at least 16 characters, no spaces' };
    },
  } as Variable<string | undefined>,
  SKYPOOL_SECRET_KEY: {
    description: 'key (32 bytes, base64 or hex) that encrypts site credentials at rest',
    sensitive: true,
    parse: secretKey,
  } as Variable<Buffer | undefined>,
  LOG_LEVEL: {
    description: 'pino log level',
    sensitive: false,
    parse: (raw) => {
      const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
      return raw === undefined || raw === '' ? 'info' : levels.includes(raw) ? raw : { expected: levels.join(', ') };
    },
  } as Variable<string>,
  SKYPOOL_ALLOCATOR_CRON: {
    description: 'when the allocator cycle runs besides right after a submission',
    sensitive: false,
    parse: cronExpression('*/10 * * * * *'),
  },
  SKYPOOL_ALLOCATOR_DEBOUNCE_MS: {
    description: 'how long the allocator waits after a submission for more to arrive, so a burst is decided in one cycle',
    sensitive: false,
    parse: integer(0, 60_000, 100),
  },
  SKYPOOL_PLACEMENT: {
    description: 'spread: the emptiest fitting site first; pack: the fullest site that still fits',
    sensitive: false,
    parse: (raw) => (raw === undefined || raw === '' ? 'spread' : raw === 'spread' || raw === 'pack' ? raw : { expected: 'spread or pack' }),
  } as Variable<'spread' | 'pack'>,
  SKYPOOL_FAIR_SHARE_HALF_LIFE_HOURS: {
    description: 'half-life of the usage that orders projects for fair-share (HTCondor PRIORITY_HALFLIFE)',
    sensitive: false,
    parse: (raw) => {
      if (raw === undefined || raw === '') return 24;
      const hours = Number(raw);
      return Number.isFinite(hours) && hours > 0 && hours <= 24 * 366 ? hours : { expected: 'a number of hours more than 0 and at most 8784' };
    },
  } as Variable<number>,
  SKYPOOL_COOL_DOWN_MINUTES: {
    description: 'how long the allocator avoids a site for a request after an attempt there failed',
    sensitive: false,
    parse: integer(0, 24 * 60, 10),
  },
  SKYPOOL_GANG_RESERVE_AFTER_MINUTES: {
    description: 'how long a gang (minCount > 1) waits before the allocator may hold capacity for it (the one that has waited longest, one at a time)',
    sensitive: false,
    parse: integer(0, 7 * 24 * 60, 30),
  },
  SKYPOOL_GANG_RESERVE_HOURS: {
    description: 'the longest the allocator holds capacity for one gang; 0: it holds capacity for none (greedy)',
    sensitive: false,
    parse: integer(0, 8784, 24),
  },
  SKYPOOL_LEASE_WARNING_MINUTES: {
    description: "how long before a running request's lease ends its history gets a LEASE_ENDING notice (once per lease end); 0: none",
    sensitive: false,
    parse: integer(0, 7 * 24 * 60, 60),
  },
  SKYPOOL_CHARGE_CRON: {
    description: 'when run time is charged to budgets and ended allocations are enforced',
    sensitive: false,
    parse: cronExpression('0 * * * * *'),
  },
  SKYPOOL_SITE_CONCURRENCY: {
    description: 'RunInstances calls a broker process makes to one site at a time',
    sensitive: false,
    parse: integer(1, 100, 4),
  },
  SKYPOOL_PROVISION_TIMEOUT_SECONDS: {
    description: 'how long a placement may keep failing with transient errors (retried with backoff) before it fails over to another site',
    sensitive: false,
    parse: integer(1, 24 * 3600, 300),
  },
  SKYPOOL_PENDING_TIMEOUT_SECONDS: {
    description: 'how long an instance may stay pending at its site before it fails over to another site',
    sensitive: false,
    parse: integer(1, 24 * 3600, 600),
  },
  SKYPOOL_MAX_ATTEMPTS: {
    description: 'failed placement attempts after which a request is given up (FAILED, with the last reason)',
    sensitive: false,
    parse: integer(1, 100, 3),
  },
  SKYPOOL_RECONCILE_CRON: {
    description: 'when the reconciler compares each site with the broker',
    sensitive: false,
    parse: cronExpression('*/15 * * * * *'),
  },
  SKYPOOL_POOL_CRON: {
    description: 'when each worker pool is kept at its desired size (members submitted, replaced or ended)',
    sensitive: false,
    parse: cronExpression('*/5 * * * * *'),
  },
  SKYPOOL_WEBHOOK_CRON: {
    description: 'when webhook deliveries that are due are sent (each notification also nudges a send at once)',
    sensitive: false,
    parse: cronExpression('*/5 * * * * *'),
  },
  SKYPOOL_WEBHOOK_RETRY_SECONDS: {
    description: 'a failed webhook delivery is tried again after this long, doubled at each failure (up to an hour)',
    sensitive: false,
    parse: integer(1, 3600, 30),
  },
  SKYPOOL_WEBHOOK_MAX_ATTEMPTS: {
    description: 'a webhook delivery is given up (FAILED) after this many attempts',
    sensitive: false,
    parse: integer(1, 100, 10),
  },
  SKYPOOL_WEBHOOK_ALLOW_PRIVATE: {
    description: 'true: webhooks may POST to loopback, private and link-local addresses (a receiver on this machine or inside the network); false: such URLs are refused',
    sensitive: false,
    parse: (raw) => (raw === undefined || raw === '' || raw === 'false' ? false : raw === 'true' ? true : { expected: 'true or false' }),
  } as Variable<boolean>,
  SKYPOOL_NOTIFICATION_RETENTION_DAYS: {
    description: 'notifications (and their webhook deliveries, once settled) older than this are deleted; at least 31, so an allocation that ended is never told of twice',
    sensitive: false,
    parse: integer(31, 3650, 90),
  },
  SKYPOOL_ALLOCATION_WARNING_DAYS: {
    description: 'how long before an allocation ends its project is told (ALLOCATION_ENDING); 0: not told',
    sensitive: false,
    parse: integer(0, 365, 7),
  },
  SMTP_URL: {
    description: 'an SMTP server for e-mail digests of notifications (smtp://user:password@host:port, smtps://...); unset: no e-mail',
    sensitive: true,
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      try {
        return ['smtp:', 'smtps:'].includes(new URL(raw).protocol) ? raw : { expected: 'an smtp:// or smtps:// URL' };
      } catch {
        return { expected: 'an smtp:// or smtps:// URL' };
      }
    },
  },
  SKYPOOL_EMAIL_FROM: {
    description: "the sender of the e-mail digests",
    sensitive: false,
    parse: (raw) => raw || 'Skypool <skypool@localhost>',
  },
  SKYPOOL_EMAIL_DIGEST_CRON: {
    description: 'when each person with an e-mail address is sent a digest of the notifications since the last (with SMTP_URL)',
    sensitive: false,
    parse: cronExpression('0 0 * * * *'),
  },
  SKYPOOL_HEALTH_CRON: {
    description: 'when each site is probed (DescribeAvailabilityZones, a small DescribeInstances and, where offered, DescribeInstanceTypes)',
    sensitive: false,
    parse: cronExpression('*/30 * * * * *'),
  },
  SKYPOOL_SITE_TIMEOUT_MS: {
    description: 'how long a whole health probe may take (then the site fails it), and how long a reconcile pass waits before it goes on without that site',
    sensitive: false,
    parse: integer(100, 600_000, 10_000),
  },
  SKYPOOL_SITE_DOWN_AFTER: {
    description: 'failed calls in a row after which a site is DOWN (its circuit opens: no placements until a probe succeeds)',
    sensitive: false,
    parse: integer(1, 100, 3),
  },
  SKYPOOL_SITE_SLOW_MS: {
    description: 'probe latency above which a site that answers is DEGRADED',
    sensitive: false,
    parse: integer(1, 600_000, 5_000),
  },
  SKYPOOL_GRAPHQL_MAX_DEPTH: {
    description: 'deepest nesting of fields a GraphQL operation may have',
    sensitive: false,
    parse: integer(2, 100, 12),
  },
  SKYPOOL_GRAPHQL_MAX_ALIASES: {
    description: 'most aliases one GraphQL operation may use',
    sensitive: false,
    parse: integer(0, 1000, 30),
  },
  SKYPOOL_GRAPHQL_MAX_TOKENS: {
    description: 'most lexical tokens in one GraphQL document',
    sensitive: false,
    parse: integer(100, 1_000_000, 5000),
  },
  SKYPOOL_GRAPHQL_MAX_COST: {
    description: 'highest estimated cost of one operation (fields, multiplied by the page size of lists)',
    sensitive: false,
    parse: integer(100, 100_000_000, 200_000),
  },
  SKYPOOL_RATE_LIMIT_PER_SECOND: {
    description: 'mutations per second each principal may make, sustained (each mutation of a document counts)',
    sensitive: false,
    parse: integer(1, 1_000_000, 100),
  },
  SKYPOOL_RATE_LIMIT_BURST: {
    description: 'mutations each principal may make in a burst',
    sensitive: false,
    parse: integer(1, 10_000_000, 500),
  },
  SKYPOOL_QUERY_COST_PER_SECOND: {
    description: 'estimated cost of queries each principal (or anonymous address) may spend per second, sustained',
    sensitive: false,
    parse: integer(1, 1_000_000_000, 100_000),
  },
  SKYPOOL_QUERY_COST_BURST: {
    description: 'estimated cost of queries each principal may spend in a burst; at least SKYPOOL_GRAPHQL_MAX_COST',
    sensitive: false,
    parse: integer(100, 10_000_000_000, 1_000_000),
  },
  SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS: {
    description: 'how long a service account token lasts when createServiceAccount gives no expiresInDays',
    sensitive: false,
    parse: integer(1, 3650, 90),
  },
  SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS: {
    description: 'the longest expiresInDays a service account may be given (at least SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS)',
    sensitive: false,
    parse: integer(1, 3650, 365),
  },
  SKYPOOL_SUBSCRIPTION_RECHECK_SECONDS: {
    description: "how often each subscription socket's credentials are checked again: a revoked or expired token or an ended session loses its socket",
    sensitive: false,
    parse: integer(1, 60, 5),
  },
  OIDC_ISSUER: {
    ...providerSettings.ISSUER,
    description: 'issuer URL of the OpenID Connect provider named "default"; unset: no login (unless OIDC_PROVIDERS names others)',
  },
  OIDC_CLIENT_ID: { ...providerSettings.CLIENT_ID, description: 'client id Skypool is registered with at the default provider' },
  OIDC_CLIENT_SECRET: { ...providerSettings.CLIENT_SECRET, description: 'client secret of that registration (sent as client_secret_post)' },
  OIDC_REDIRECT_URL: {
    ...providerSettings.REDIRECT_URL,
    description: "the broker's login callback as browsers reach it, ending in /auth/callback; also used by the providers of OIDC_PROVIDERS that set none",
  },
  OIDC_LABEL: { ...providerSettings.LABEL, description: 'what the portal\'s sign-in button says after "Sign in with" for the default provider, e.g. University of Michigan; unset: its issuer\'s host' },
  SKYPOOL_CLAIM_MAPPINGS: {
    description: 'a YAML file of rules that map identity-provider claims to roles, applied at every login',
    sensitive: false,
    parse: optionalText,
  },
  OIDC_PROVIDERS: {
    description: 'more OpenID Connect providers by name, e.g. egi,keycloak; each is set with OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET and _REDIRECT_URL (and _LABEL)',
    sensitive: false,
    parse: providerNames,
  },
} satisfies Record<string, Variable<unknown>>;

type Variables = typeof variables;
export type Config = { [K in keyof Variables]: Exclude<ReturnType<Variables[K]['parse']>, { expected: string }> } & {
  /** Always decided by loadConfig (see SKYPOOL_SITES). */
  SKYPOOL_SITES: string;
  /** Always decided by loadConfig (see SKYPOOL_DEMO_PROJECT). */
  SKYPOOL_DEMO_PROJECT: boolean;
  /** Every configured OpenID Connect provider, `default` first; empty: login is disabled. */
  oidcProviders: OidcProviderConfig[];
};

function parseVariable<T>(name: string, variable: Variable<T>, raw: string | undefined): T {
  const value = variable.parse(raw);
  if (value !== null && typeof value === 'object' && 'expected' in value) {
    throw new ConfigError(name, String(value.expected), variable.sensitive ? undefined : raw);
  }
  return value as T;
}

/**
 * The plain OIDC_* set is the provider `default`; OIDC_PROVIDERS=egi,keycloak adds providers set
 * with OIDC_EGI_ISSUER, OIDC_EGI_CLIENT_ID, ... A provider needs all four settings; its redirect
 * URL may come from OIDC_REDIRECT_URL.
 */
function readOidcProviders(env: NodeJS.ProcessEnv, providerList: string[]): OidcProviderConfig[] {
  const sharedRedirect = parseVariable('OIDC_REDIRECT_URL', providerSettings.REDIRECT_URL, env.OIDC_REDIRECT_URL);
  const read = (name: string, prefix: string): OidcProviderConfig | undefined => {
    const names = { ISSUER: `${prefix}_ISSUER`, CLIENT_ID: `${prefix}_CLIENT_ID`, CLIENT_SECRET: `${prefix}_CLIENT_SECRET`, REDIRECT_URL: `${prefix}_REDIRECT_URL`, LABEL: `${prefix}_LABEL` };
    const issuer = parseVariable(names.ISSUER, providerSettings.ISSUER, env[names.ISSUER]);
    const clientId = parseVariable(names.CLIENT_ID, providerSettings.CLIENT_ID, env[names.CLIENT_ID]);
    const clientSecret = parseVariable(names.CLIENT_SECRET, providerSettings.CLIENT_SECRET, env[names.CLIENT_SECRET]);
    const redirectUrl = parseVariable(names.REDIRECT_URL, providerSettings.REDIRECT_URL, env[names.REDIRECT_URL]) ?? sharedRedirect;
    if (name === 'default' && !issuer && !clientId && !clientSecret) return undefined; // no default provider
    const all = `${names.ISSUER}, ${names.CLIENT_ID}, ${names.CLIENT_SECRET} and ${name === 'default' ? names.REDIRECT_URL : `${names.REDIRECT_URL} (or OIDC_REDIRECT_URL)`}`;
    const missing = (variable: string) => new ConfigError(variable, `a value: the OpenID Connect provider "${name}" needs ${all}`, undefined);
    if (!issuer) throw missing(names.ISSUER);
    if (!clientId) throw missing(names.CLIENT_ID);
    if (!clientSecret) throw missing(names.CLIENT_SECRET);
    if (!redirectUrl) throw missing(names.REDIRECT_URL);
    const label = parseVariable(names.LABEL, providerSettings.LABEL, env[names.LABEL]) ?? (name === 'default' ? new URL(issuer).host : name);
    return { name, issuer, clientId, clientSecret, redirectUrl, label };
  };
  const providers = [read('default', 'OIDC')];
  for (const name of providerList) providers.push(read(name, `OIDC_${name.toUpperCase()}`));
  return providers.filter((p): p is OidcProviderConfig => p !== undefined);
}

/** Reads and checks every variable; throws a ConfigError naming the first bad one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(variables) as [string, Variable<unknown>][]) {
    config[name] = parseVariable(name, variable, env[name]);
  }
  // several broker processes on one server must share the key that seals credentials
  if (config.DATABASE_URL && !config.SKYPOOL_SECRET_KEY) {
    throw new ConfigError('SKYPOOL_SECRET_KEY', 'a key (32 bytes, hex or base64) when DATABASE_URL is set; make one with `openssl rand -hex 32`', undefined);
  }
  // a burst smaller than the largest operation allowed would refuse that operation for ever
  if ((config.SKYPOOL_QUERY_COST_BURST as number) < (config.SKYPOOL_GRAPHQL_MAX_COST as number)) {
    throw new ConfigError('SKYPOOL_QUERY_COST_BURST', `at least SKYPOOL_GRAPHQL_MAX_COST (${config.SKYPOOL_GRAPHQL_MAX_COST})`, String(config.SKYPOOL_QUERY_COST_BURST));
  }
  if ((config.SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS as number) > (config.SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS as number)) {
    throw new ConfigError('SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS', `at most SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS (${config.SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS})`, env.SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS);
  }
  // demo sites only where asked: a deployment on its own PostgreSQL server gets none unless it names them
  const demoSites = config.SKYPOOL_SITES === undefined && !config.DATABASE_URL;
  config.SKYPOOL_SITES ??= demoSites ? 'sites/demo' : '';
  config.SKYPOOL_DEMO_PROJECT ??= demoSites;
  config.oidcProviders = readOidcProviders(env, config.OIDC_PROVIDERS as string[]);
  return config as Config;
}

/** Where site descriptors may read credentials from: the two settings that decide it, read on their own (the CLI needs no more). */
export function credentialSettings(env: NodeJS.ProcessEnv): Pick<Config, 'SKYPOOL_SITE_ENV_PREFIX' | 'SKYPOOL_CREDENTIALS_DIR'> {
  return {
    SKYPOOL_SITE_ENV_PREFIX: parseVariable('SKYPOOL_SITE_ENV_PREFIX', variables.SKYPOOL_SITE_ENV_PREFIX, env.SKYPOOL_SITE_ENV_PREFIX),
    SKYPOOL_CREDENTIALS_DIR: parseVariable('SKYPOOL_CREDENTIALS_DIR', variables.SKYPOOL_CREDENTIALS_DIR, env.SKYPOOL_CREDENTIALS_DIR),
  };
}

/** What the `skypool` command reads besides the broker's settings. */
const COMMAND_VARIABLES = ['SKYPOOL_URL', 'SKYPOOL_TOKEN', 'SKYPOOL_NEW_SECRET_KEY'];

/**
 * Is this environment variable one of Skypool's own settings (the broker's, its OpenID Connect
 * providers', or the command line's)? Such variables are never read as site credentials.
 */
export function isSkypoolSetting(name: string): boolean {
  return Object.hasOwn(variables, name) || name.startsWith('OIDC_') || COMMAND_VARIABLES.includes(name);
}

/** The documented variables, for the README table and `skypool config`. */
export function describeVariables(): { name: string; description: string; sensitive: boolean }[] {
  const perProvider = Object.entries(providerSettings).map(([suffix, v]) => ({
    name: `OIDC_<NAME>_${suffix}`,
    description: `${v.description}; for each provider of OIDC_PROVIDERS`,
    sensitive: v.sensitive,
  }));
  return [...Object.entries(variables).map(([name, v]) => ({ name, description: v.description, sensitive: v.sensitive })), ...perProvider];
}

/** An injection token for the Config object. */
export const CONFIG = Symbol('CONFIG');
