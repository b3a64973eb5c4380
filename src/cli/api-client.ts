import { CliError } from './cli-error.js';
import type { Connection } from './connection.js';
import { ExitCode } from './exit-codes.js';

/** A GraphQL error as the broker reports it: the message names the field that was wrong. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly code?: string,
    readonly field?: string,
  ) {
    super(message, code === 'UNAUTHENTICATED' ? ExitCode.UNREACHABLE : ExitCode.REFUSED);
    this.name = 'ApiError';
  }
}

/** The CLI's way to the broker's GraphQL API, over HTTP with the connection's token. */
export class ApiClient {
  constructor(private readonly connection: Connection) {}

  get url(): string {
    return this.connection.url;
  }

  /** Where graphql-ws subscriptions are served, and how a socket presents the token. */
  subscriptionEndpoint(): { url: string; connectionParams: Record<string, string> } {
    const { url, token } = this.connection;
    return { url: `${url.replace(/^http/, 'ws')}/graphql`, connectionParams: token ? { Authorization: `Bearer ${token}` } : {} };
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { url } = this.connection;
    const res = await this.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
    const error = body.errors?.[0];
    if (error) {
      const code = error.extensions?.code;
      throw new ApiError(`${error.message}${code === 'UNAUTHENTICATED' ? this.tokenHint() : ''}`, code, error.extensions?.field);
    }
    if (!body.data) throw new CliError(`the broker at ${url} answered HTTP ${res.status} without data; is it a Skypool broker?`, ExitCode.UNREACHABLE);
    return body.data;
  }

  /** A plain GET of the broker (the accounting exports): the body, and the next page a `Link: <...>; rel="next"` names. */
  async get(path: string): Promise<{ text: string; next: string | null }> {
    const res = await this.fetch(path, { method: 'GET' });
    const text = await res.text();
    if (res.status === 401) throw new ApiError(`${text.trim()}${this.tokenHint()}`, 'UNAUTHENTICATED');
    if (!res.ok) throw new ApiError(text.trim() || `the broker answered HTTP ${res.status} to GET ${path}`, res.status === 400 ? 'BAD_USER_INPUT' : 'FORBIDDEN');
    return { text, next: /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null };
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    const { url, token } = this.connection;
    try {
      return await fetch(`${url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    } catch (err) {
      throw new CliError(`cannot reach the broker at ${url} (${String((err as Error).cause ?? (err as Error).message)}); give --url or set SKYPOOL_URL`, ExitCode.UNREACHABLE);
    }
  }

  private tokenHint(): string {
    const { token, tokenSource } = this.connection;
    return token ? ` (the token from ${tokenSource} was refused: run \`skypool login\`, or give --token)` : ' (no token: run `skypool login`, give --token or set SKYPOOL_TOKEN)';
  }
}

/** `leaseHours: must be ...` becomes `--lease: must be ...`: the broker's field named as the flag that carried it. */
export function inFlagTerms(message: string, field: string | null | undefined, flagOfField: Record<string, string>): string {
  const flag = field ? flagOfField[field.split(/[.[]/)[0]!] : undefined;
  return flag ? message.replace(new RegExp(`^${field!.replace(/[.[\]]/g, '\\$&')}\\b`), flag) : message;
}

/** The call's field errors in terms of the command's flags. */
export async function withFlagNames<T>(call: Promise<T>, flagOfField: Record<string, string>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ApiError && err.field) throw new ApiError(inFlagTerms(err.message, err.field, flagOfField), err.code, err.field);
    throw err;
  }
}
