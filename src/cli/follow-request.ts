import { createClient } from 'graphql-ws/client'; // the client alone: the package's root also loads graphql for its server
import WebSocket from 'ws';
import { ApiError, type ApiClient } from './api-client.js';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';

/** States a request does not leave. */
export const FINAL_STATES = ['TERMINATED', 'FAILED', 'CANCELLED', 'EXPIRED'];

/** How often the fallback asks when no subscription can be had (a proxy that refuses WebSockets, say). */
const POLL_MS = 2000;

export interface FollowedRequest {
  id: string;
  state: string;
  reason: string | null;
}

/**
 * Follows a request through the `requestUpdated` subscription (the state now, then each change),
 * or by polling when the socket cannot be opened, handing each version to `onUpdate` until it
 * returns true. After `timeoutMs` it gives up with exit status 4.
 */
export function followRequest<R extends FollowedRequest>(api: ApiClient, id: string, fields: string, onUpdate: (request: R) => boolean, timeoutMs: number | undefined): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    let last: R | undefined;
    const endpoint = api.subscriptionEndpoint();
    const socket = createClient({ url: endpoint.url, webSocketImpl: WebSocket, connectionParams: endpoint.connectionParams, retryAttempts: 0, lazy: true });
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      void socket.dispose();
      if (error) reject(error);
      else resolve(last!);
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => finish(new CliError(`gave up after ${timeoutMs / 1000} s: request ${id} is ${last?.state ?? 'not seen yet'}${last?.reason ? ` (${last.reason})` : ''}`, ExitCode.TIMED_OUT)), timeoutMs);
    const seen = (request: R | null) => {
      if (settled) return;
      if (!request) return finish(new CliError(`no request ${id} that you may see`));
      last = request;
      try {
        if (onUpdate(request)) finish();
      } catch (err) {
        finish(err);
      }
    };
    const poll = async () => {
      while (!settled) {
        try {
          seen((await api.request<{ resourceRequest: R | null }>(`query($id: ID!) { resourceRequest(id: $id) { ${fields} } }`, { id })).resourceRequest);
        } catch (err) {
          return finish(err);
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    const unsubscribe = socket.subscribe<{ requestUpdated: R }>(
      { query: `subscription($id: ID!) { requestUpdated(id: $id) { ${fields} } }`, variables: { id } },
      {
        next: (result) => {
          const error = result.errors?.[0];
          if (error) return finish(new ApiError(error.message, error.extensions?.code as string | undefined));
          seen(result.data?.requestUpdated ?? null);
        },
        // the socket could not be had, or closed early: ask over HTTP instead
        error: () => void poll(),
        complete: () => void poll(),
      },
    );
  });
}
