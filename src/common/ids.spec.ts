import { describe, expect, it } from '@jest/globals';
import { isUuid } from './validation.js';
import { timeOrderedUuid } from './ids.js';

describe('timeOrderedUuid', () => {
  it('makes version 7 uuids that sort in the order they were made, within a millisecond too', () => {
    const ids = [timeOrderedUuid(1000), ...Array.from({ length: 5000 }, () => timeOrderedUuid(1000)), timeOrderedUuid(1001), timeOrderedUuid(999)];
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
