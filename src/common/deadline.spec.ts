import { describe, expect, it } from '@jest/globals';
import { withinDeadline } from './deadline.js';

const never = new Promise<string>(() => {});

describe('withinDeadline', () => {
  it('gives the work its result when it settles in time', async () => {
    await expect(withinDeadline(Promise.resolve('done'), 1000, () => 'late')).resolves.toBe('done');
    await expect(withinDeadline(Promise.reject(new Error('failed')), 1000, () => 'late')).rejects.toThrow('failed');
  });

  it('gives what late returns, or throws, when the work does not settle', async () => {
    await expect(withinDeadline(never, 5, () => 'late')).resolves.toBe('late');
    await expect(
      withinDeadline(never, 5, () => {
        throw new Error('too slow');
      }),
    ).rejects.toThrow('too slow');
  });
});
