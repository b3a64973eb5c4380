import { cacheExchange, Client, fetchExchange, subscriptionExchange, type CombinedError } from '@urql/core';
import { createClient as createSocketClient } from 'graphql-ws';

/**
 * The broker's GraphQL API, as the signed-in user: the session cookie goes with every request
 * (same origin), over HTTP for queries and mutations and over one WebSocket for subscriptions.
 * Queries are POSTed as JSON: the broker refuses GETs without a preflight header (CSRF protection).
 */
export function createApiClient(onSignedOut: () => void): Client {
  const socket = createSocketClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    lazy: true,
    retryAttempts: 20,
    // 4401: the session ended while a page watched; anything else is worth another try
    shouldRetry: (event) => !(event instanceof CloseEvent && event.code === 4401),
    on: { closed: (event) => event instanceof CloseEvent && event.code === 4401 && onSignedOut() },
  });
  return new Client({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
}

/** Whether an API error says the caller is not signed in (no session, or it has ended). */
export function isSignedOut(error: CombinedError | undefined): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') || error?.response?.status === 401;
}

/** Whether the API said there is no such thing, or none the caller may see (the same to a page). */
export function isNotFound(error: CombinedError | undefined): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === 'NOT_FOUND' || e.extensions?.code === 'FORBIDDEN');
}

/** An API error in words: the broker's messages name what was wrong. */
export function describeError(error: CombinedError): string {
  if (error.networkError) return `the broker could not be reached (${error.networkError.message})`;
  return error.graphQLErrors.map((e) => e.message).join('; ');
}

/** The field an API error concerns (BAD_USER_INPUT errors name it), for showing it next to that field. */
export function fieldOf(error: CombinedError | undefined): string | undefined {
  const field = error?.graphQLErrors.find((e) => typeof e.extensions?.field === 'string')?.extensions?.field;
  return typeof field === 'string' ? field : undefined;
}

/** A refusal placed on a form: next to the field it concerns, or under the form when it concerns none. */
export interface Refusal<F extends string> {
  field?: F;
  message: string;
}

/**
 * The API's refusal on a form: next to the form field that `fields` maps the error's field
 * (extensions.field) to, else where `fallback` puts refusals of its code (a duplicate name under
 * Name, say), else under the form.
 */
export function refusalOf<F extends string>(error: CombinedError, fields: Partial<Record<string, F>>, fallback: Partial<Record<string, F>> = {}): Refusal<F> {
  const named = fieldOf(error);
  const code = error.graphQLErrors[0]?.extensions?.code;
  const field = (named ? fields[named] : undefined) ?? (typeof code === 'string' ? fallback[code] : undefined);
  return { field, message: describeError(error) };
}
