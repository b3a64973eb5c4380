/** A small typed GraphQL client over real HTTP, as outside clients use the API. */
export interface GraphqlResponse<T> {
  status: number;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; field?: string; [k: string]: unknown } }[];
}

export class GraphqlClient {
  constructor(
    readonly url: string,
    readonly token?: string,
    /** a browser session's cookie value (skypool_session), sent instead of a token */
    readonly session?: string,
  ) {}

  withToken(token: string | undefined): GraphqlClient {
    return new GraphqlClient(this.url, token);
  }

  /** A client that authenticates as a browser does, with the session cookie. */
  withSession(session: string): GraphqlClient {
    return new GraphqlClient(this.url, undefined, session);
  }

  async request<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<GraphqlResponse<T>> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(this.session ? { cookie: `skypool_session=${this.session}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as Omit<GraphqlResponse<T>, 'status'>;
    return { status: res.status, ...body };
  }

  /** The data, or a thrown error that shows what the server said. */
  async data<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await this.request<T>(query, variables);
    if (res.errors?.length || !res.data) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
    return res.data;
  }
}
