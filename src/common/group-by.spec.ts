import { describe, expect, it } from '@jest/globals';
import { groupBy } from './group-by.js';

describe('groupBy', () => {
  it('groups by key, keeping the order of the rows within each group', () => {
    const rows = [
      { site: 'a', n: 1 },
      { site: 'b', n: 2 },
      { site: 'a', n: 3 },
    ];
    expect(groupBy(rows, (r) => r.site)).toEqual(
      new Map([
        ['a', [rows[0], rows[2]]],
        ['b', [rows[1]]],
      ]),
    );
  });
});
