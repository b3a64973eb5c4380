/** What the commands print: aligned tables for people, one JSON value for scripts, colour only on a terminal. */

export type Print = (line: string) => void;

/** ANSI colours when stdout is a terminal and NO_COLOR (no-color.org) is unset or empty. */
export function colours(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const CODES = { green: 32, yellow: 33, red: 31, dim: 2 } as const;

/** The colour a state is shown in: running green, waiting yellow, failed red, ended dim. */
export function stateColour(state: string): keyof typeof CODES | undefined {
  if (state === 'RUNNING' || state === 'HEALTHY' || state === 'FITS') return 'green';
  if (['QUEUED', 'PENDING', 'PROVISIONING', 'REQUESTED', 'DEGRADED'].includes(state)) return 'yellow';
  if (['FAILED', 'DOWN', 'EXPIRED'].includes(state)) return 'red';
  if (['CANCELLED', 'TERMINATED', 'TERMINATING'].includes(state)) return 'dim';
  return undefined;
}

export function paint(text: string, colour: keyof typeof CODES | undefined, enabled: boolean): string {
  return enabled && colour ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

/**
 * Rows under a header, each column as wide as its widest cell (the last one unpadded). `paintCell`
 * may colour a cell; widths are measured before it does.
 */
export function table(header: string[], rows: string[][], paintCell: (text: string, column: number) => string = (text) => text): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[], painted: boolean) =>
    cells
      .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell : cell.padEnd(widths[column]!);
        return painted ? paintCell(cell, column) + padded.slice(cell.length) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header, false), ...rows.map((row) => line(row, true))];
}

/** Exactly one JSON value on stdout, what the API answered, for `jq`. */
export function printJson(value: unknown, print: Print): void {
  print(JSON.stringify(value, null, 2));
}
