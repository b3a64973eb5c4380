import { describe, expect, it } from '@jest/globals';
import { SerialTask } from './serial-task.js';

describe('SerialTask', () => {
  it('never runs twice at once and coalesces triggers during a run into one more run', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const task = new SerialTask(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      if (runs === 1) await gate;
      active--;
    }, () => undefined);
    const first = task.trigger();
    task.trigger();
    task.trigger();
    release();
    await first;
    await task.trigger();
    expect(maxActive).toBe(1);
    expect(runs).toBe(3); // the first, one for the two triggers during it, and the last
  });

  it('reports an error and keeps working', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const task = new SerialTask(async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
    }, (e) => errors.push(e));
    await task.trigger();
    await task.trigger();
    expect(errors).toHaveLength(1);
    expect(calls).toBe(2);
  });
});
