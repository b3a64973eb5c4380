interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Hands items to `write` in batches, as a database commits a group of transactions at once: the
 * first item is written at once, and the items that come while a batch is being written go
 * together in the next one (at most `maxBatch`). Each item's promise settles once its batch is
 * written. A batch that fails is written again item by item, so that one bad item fails alone.
 */
export class Batcher<T> {
  private readonly queue: Waiting<T>[] = [];
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch = 100,
  ) {}

  add(item: T): Promise<void> {
    const written = new Promise<void>((resolve, reject) => this.queue.push({ item, resolve, reject }));
    if (!this.writing) void this.drain();
    return written;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.write(batch.map((w) => w.item));
        batch.forEach((w) => w.resolve());
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        else for (const w of batch) await this.write([w.item]).then(w.resolve, w.reject);
      }
    }
    this.writing = false;
  }
}
