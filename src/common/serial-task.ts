/**
 * Runs an async job one at a time. A trigger during a run asks for exactly one more run after it,
 * so bursts of triggers coalesce. Errors go to `onError`; the task keeps running afterwards.
 */
export class SerialTask {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Starts a run (or queues one more); resolves when the work asked for so far is done. */
  trigger(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.job();
      } catch (err) {
        this.onError(err);
      }
    } while (this.again && !this.stopped);
  }

  /** No new runs; waits for the current one. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
