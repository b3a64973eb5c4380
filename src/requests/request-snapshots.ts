import type { Logger } from 'pino';
import type { ResourceRequest } from './entities/resource-request.entity.js';
import { requestStateMachine } from './request-state.js';

const DONE: IteratorResult<never> = { value: undefined, done: true };

/** Where a change to a request is announced (RequestUpdates, which makes the snapshots). */
export interface RequestChanges {
  watch(requestId: string, listener: () => void): () => void;
}

/**
 * The request as it is now, then again, read fresh, after each change; it ends after a final
 * state. Changes that come while one read is under way fold into the next read, so a watcher
 * that falls behind gets the latest state, not a backlog.
 *
 * A plain iterator rather than an async generator: a generator waiting for the next change
 * could not be ended (its `return()` would wait for that change), and a closed socket would
 * leave its watcher behind.
 */
export class RequestSnapshots implements AsyncIterableIterator<ResourceRequest> {
  private changed = true; // the first read is the state at subscription
  private ended = false;
  private wake?: () => void;
  private readonly unwatch: () => void;

  constructor(
    updates: RequestChanges,
    private readonly requestId: string,
    private readonly read: (id: string) => Promise<ResourceRequest | null>,
    private readonly logger: Logger,
  ) {
    this.unwatch = updates.watch(requestId, () => {
      this.changed = true;
      this.wake?.();
    });
  }

  async next(): Promise<IteratorResult<ResourceRequest>> {
    while (!this.ended) {
      if (!this.changed) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      this.changed = false;
      let request: ResourceRequest | null;
      try {
        request = await this.read(this.requestId);
      } catch (err) {
        this.logger.warn({ requestId: this.requestId, err: String(err) }, 'could not read a request for its subscribers');
        this.end();
        throw new Error('could not read the request; subscribe again');
      }
      if (this.ended || !request) break;
      if (requestStateMachine.isFinal(request.state)) this.end();
      return { value: request, done: false };
    }
    this.end();
    return DONE;
  }

  async return(): Promise<IteratorResult<ResourceRequest>> {
    this.end();
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (!this.ended) this.unwatch();
    this.ended = true;
    this.wake?.();
  }
}
