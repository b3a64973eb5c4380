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

const variables = {
  PORT: {
    description: 'HTTP port of the API (0 picks a free one)',
    sensitive: false,
    parse: integer(0, 65535, 4000),
  },
  HOST: {
    description: 'address the HTTP server binds to',
    sensitive: false,
    parse: (raw) => raw || '0.0.0.0',
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
    description: 'a folder of site descriptors (YAML) applied at start; empty: none',
    sensitive: false,
    parse: (raw) => (raw === undefined ? 'sites/demo' : raw),
  } as Variable<string>,
  SKYPOOL_ADMIN_TOKEN: {
    description: 'bootstrap token of the built-in federation administrator',
    sensitive: true,
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      return raw.length >= 16 ? raw : { expected: 'at least 16 characters' };
    },
  } as Variable<string | undefined>,
  SKYPOOL_SECRET_KEY: {
    description: 'key (32 bytes, base64 or hex) that encrypts site credentials at rest',
    sensitive: true,
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
      return key.length === 32 ? key : { expected: '32 bytes as 64 hex digits or base64' };
    },
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
  SKYPOOL_RECONCILE_CRON: {
    description: 'when the reconciler compares each site with the broker',
    sensitive: false,
    parse: cronExpression('*/15 * * * * *'),
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
    description: 'mutations per second each principal may make, sustained',
    sensitive: false,
    parse: integer(1, 1_000_000, 100),
  },
  SKYPOOL_RATE_LIMIT_BURST: {
    description: 'mutations each principal may make in a burst',
    sensitive: false,
    parse: integer(1, 10_000_000, 500),
  },
} satisfies Record<string, Variable<unknown>>;

type Variables = typeof variables;
export type Config = { [K in keyof Variables]: Exclude<ReturnType<Variables[K]['parse']>, { expected: string }> };

/** Reads and checks every variable; throws a ConfigError naming the first bad one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(variables) as [string, Variable<unknown>][]) {
    const raw = env[name];
    const value = variable.parse(raw);
    if (value !== null && typeof value === 'object' && 'expected' in value) {
      throw new ConfigError(name, String(value.expected), variable.sensitive ? undefined : raw);
    }
    config[name] = value;
  }
  // several broker processes on one server must share the key that seals credentials
  if (config.DATABASE_URL && !config.SKYPOOL_SECRET_KEY) {
    throw new ConfigError('SKYPOOL_SECRET_KEY', 'a key (32 bytes, hex or base64) when DATABASE_URL is set; make one with `openssl rand -hex 32`', undefined);
  }
  return config as Config;
}

/** The documented variables, for the README table and `skypool config`. */
export function describeVariables(): { name: string; description: string; sensitive: boolean }[] {
  return Object.entries(variables).map(([name, v]) => ({ name, description: v.description, sensitive: v.sensitive }));
}

/** An injection token for the Config object. */
export const CONFIG = Symbol('CONFIG');
