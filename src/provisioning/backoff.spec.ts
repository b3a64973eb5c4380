import { describe, expect, it } from '@jest/globals';
import { backoffMs } from './provisioner.service.js';

describe('backoffMs', () => {
  it('doubles from 2 s up to a minute, with jitter in the upper half', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((tries) => backoffMs(tries, () => 1))).toEqual([2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    expect([1, 2, 6].map((tries) => backoffMs(tries, () => 0))).toEqual([1000, 2000, 30000]);
  });
});
