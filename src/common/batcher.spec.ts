import { describe, expect, it } from '@jest/globals';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  it('writes the first item at once and those that come meanwhile together, at most maxBatch at a time', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new Batcher<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
    }, 3);
    const written = [1, 2, 3, 4, 5, 6].map((n) => batcher.add(n));
    release();
    await Promise.all(written);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    await batcher.add(7); // idle again: written at once, alone
    expect(batches.at(-1)).toEqual([7]);
  });

  it('writes a failed batch again item by item, so only the bad item fails', async () => {
    const written: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new Batcher<number>(async (items) => {
      written.push(items);
      if (written.length === 1) await gate;
      if (items.includes(3)) throw new Error('bad item 3');
    });
    const first = batcher.add(1);
    const outcomes = Promise.allSettled([2, 3, 4].map((n) => batcher.add(n)));
    release();
    await first;
    expect((await outcomes).map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(written).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });
});
