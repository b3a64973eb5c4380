import { describe, expect, it } from '@jest/globals';
import { colours, paint, table } from './output.js';

describe('command output', () => {
  it('aligns every column to its widest cell, whatever the rows hold', () => {
    expect(table(['NAME', 'STATE', 'WHERE'], [['tacc', 'HEALTHY', 'Texas'], ['edinburgh', 'DOWN', 'Scotland']])).toEqual([
      'NAME       STATE    WHERE',
      'tacc       HEALTHY  Texas',
      'edinburgh  DOWN     Scotland',
    ]);
  });

  it('colours cells without breaking the alignment', () => {
    const lines = table(['A', 'B'], [['x', 'y']], (text, column) => (column === 0 ? paint(text, 'green', true) : text));
    expect(lines[1]).toBe('\u001b[32mx\u001b[0m  y');
  });

  it('uses colour only on a terminal, and never with NO_COLOR', () => {
    expect(colours({ isTTY: true }, {})).toBe(true);
    expect(colours({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colours({ isTTY: false }, {})).toBe(false);
    expect(colours({}, {})).toBe(false);
  });
});
