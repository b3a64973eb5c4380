import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A GraphQL error as the broker reports it: the message names the field that was wrong. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The CLI's way to the broker: SKYPOOL_URL (default http://127.0.0.1:4000) and SKYPOOL_TOKEN,
 * or, on the broker's own machine, the bootstrap admin token the embedded setup generated.
 */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): ApiClient {
    const url = (env.SKYPOOL_URL || 'http://127.0.0.1:4000').replace(/\/+$/, '');
    const tokenFile = join(env.SKYPOOL_DATA_DIR || '.skypool', 'admin-token');
    const token = env.SKYPOOL_TOKEN || env.SKYPOOL_ADMIN_TOKEN || (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
    return new ApiClient(url, token);
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
    } catch (err) {
      throw new ApiError(`cannot reach the broker at ${this.url} (${(err as Error).cause ?? (err as Error).message}); set SKYPOOL_URL`);
    }
    const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
    const error = body.errors?.[0];
    if (error) {
      const hint = error.extensions?.code === 'UNAUTHENTICATED' ? ' (set SKYPOOL_TOKEN to an API token)' : '';
      throw new ApiError(`${error.message}${hint}`, error.extensions?.code, error.extensions?.field);
    }
    if (!body.data) throw new ApiError(`the broker answered HTTP ${res.status} without data`);
    return body.data;
  }
}
