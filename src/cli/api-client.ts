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
    const { url, token, tokenSource } = this.connection;
    let res: Response;
    try {
      res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
    } catch (err) {
      throw new CliError(`cannot reach the broker at ${url} (${String((err as Error).cause ?? (err as Error).message)}); give --url or set SKYPOOL_URL`, ExitCode.UNREACHABLE);
    }
    const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
    const error = body.errors?.[0];
    if (error) {
      const code = error.extensions?.code;
      const hint = code !== 'UNAUTHENTICATED' ? '' : token ? ` (the token from ${tokenSource} was refused: run \`skypool login\`, or give --token)` : ' (no token: run `skypool login`, give --token or set SKYPOOL_TOKEN)';
      throw new ApiError(`${error.message}${hint}`, code, error.extensions?.field);
    }
    if (!body.data) throw new CliError(`the broker at ${url} answered HTTP ${res.status} without data; is it a Skypool broker?`, ExitCode.UNREACHABLE);
    return body.data;
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
