// What `npm run bench` makes of the benchmarks' output: the rows of the one table, and the table
// itself in Markdown (for the README). Pure functions; bench/table.spec.ts tests them.
//
// A benchmark prints zero or more lines
//   table: {"figure": "...", "skypool": 123, "unit": "req/s", "reference": 456, "referenceName": "..."}
// before its pinned last line (reference and referenceName optional). One that prints none is
// read from its pinned last line instead (see FROM_LAST_LINE).

/**
 * @typedef {object} Row
 * @property {string} figure what is measured
 * @property {number | null} skypool Skypool's figure; null when there is none (`note` says why)
 * @property {string} unit
 * @property {number} [reference] the same measured of the reference system, in the same run
 * @property {string} [referenceName] which reference, with its unit where it differs
 * @property {string} [note] why a figure is missing
 */

const TABLE_PREFIX = 'table: ';

/** The `table:` rows of a benchmark's output (unreadable ones as a row saying so) and its last line. */
export function parseOutput(output) {
  const lines = output.split('\n').map((line) => line.trimEnd()).filter((line) => line !== '');
  const rows = [];
  for (const line of lines) {
    if (!line.startsWith(TABLE_PREFIX)) continue;
    const text = line.slice(TABLE_PREFIX.length);
    let row;
    try {
      row = JSON.parse(text);
    } catch {
      row = undefined;
    }
    const valid =
      row && typeof row.figure === 'string' && typeof row.skypool === 'number' && typeof row.unit === 'string' &&
      (row.reference === undefined || typeof row.reference === 'number') && (row.referenceName === undefined || typeof row.referenceName === 'string');
    rows.push(valid ? row : { figure: `unreadable table line: ${text}`, skypool: null, unit: '', note: 'not a table row' });
  }
  return { rows, lastLine: lines.at(-1) ?? '' };
}

/**
 * The pinned last lines (../shared/api-contract.md, "Benchmarks"; bench:scale's in its own
 * header), for a benchmark that prints no `table:` line.
 */
const FROM_LAST_LINE = {
  allocator: [
    /^allocator: (\d+) decisions\/s/,
    ([, decisions]) => [{ figure: 'Allocator core: decisions per second (best run)', skypool: Number(decisions), unit: 'decisions/s' }],
  ],
  submit: [
    /^submit: (\d+) submitted\/s, (\d+) placed\/s, p99 (\d+) ms/,
    ([, , placed, p99]) => [
      { figure: 'Submit to placed on PostgreSQL', skypool: Number(placed), unit: 'placed/s' },
      { figure: 'Submit latency p99', skypool: Number(p99), unit: 'ms' },
    ],
  ],
  api: [
    /^api: (\d+) req\/s typename \(([\d.]+) of bare Apollo\), (\d+) req\/s page of 100, p99 (\d+) ms/,
    ([, typename, ratio, page, p99]) => [
      { figure: '`{ __typename }` over HTTP', skypool: Number(typename), unit: 'req/s', reference: Math.round(Number(typename) / Number(ratio)), referenceName: 'bare @apollo/server' },
      { figure: 'Page of 100 requests with their instances', skypool: Number(page), unit: 'req/s' },
      { figure: 'Page of 100 requests, p99', skypool: Number(p99), unit: 'ms' },
    ],
  ],
  scale: [
    /^scale: (\d+) VMs on (\d+) sites RUNNING in ([\d.]+) s/,
    ([, vms, sites, seconds]) => [{ figure: `${Number(vms).toLocaleString('en-US')} VMs on ${sites} sites: all RUNNING`, skypool: Number(seconds), unit: 's' }],
  ],
};

/** A benchmark's rows: its `table:` lines, else what its pinned last line says, else a row saying there is nothing. */
export function rowsOf(bench, output) {
  const { rows, lastLine } = parseOutput(output);
  if (rows.length > 0) return rows;
  const [pattern, toRows] = FROM_LAST_LINE[bench] ?? [];
  const found = pattern?.exec(lastLine);
  if (found) return toRows(found);
  return [unavailable(bench, `no figures; its last line: ${lastLine || '(none)'}`)];
}

/**
 * What a failed benchmark's error output says went wrong, in one line: its last error message
 * (Node ends an uncaught error's output with the stack and its own version, which say less).
 */
export function whyFailed(errors) {
  const lines = errors.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !/^at /.test(line) && !/^Node\.js v\d/.test(line));
  const message = lines.findLast((line) => /^\w*Error\b|^\S*Error:/.test(line)) ?? lines.at(-1) ?? '(no output)';
  return message.length > 200 ? `${message.slice(0, 200)}...` : message;
}

/** The row of a benchmark that did not run or failed. */
export function unavailable(bench, why) {
  return { figure: `bench:${bench}`, skypool: null, unit: '', note: why };
}

/**
 * Puts a reference next to the first row in its unit that has none yet; when every such row has
 * one, adds a copy of the first with this reference (one figure, two references: two rows). With
 * no row in that unit (the benchmark failed), adds a row of the reference alone.
 * @param {Row[]} rows
 * @param {{ unit: string, figure: string, value?: number, name?: string, unavailable?: string }} reference
 * @returns {Row[]}
 */
export function withReference(rows, reference) {
  const fields = reference.unavailable === undefined ? { reference: reference.value, referenceName: reference.name } : { referenceName: `not available: ${reference.unavailable}` };
  const inUnit = rows.filter((row) => row.unit === reference.unit && row.skypool !== null);
  const free = inUnit.find((row) => row.reference === undefined && row.referenceName === undefined);
  if (free) return rows.map((row) => (row === free ? { ...row, ...fields } : row));
  if (inUnit.length > 0) {
    const after = rows.lastIndexOf(inUnit.at(-1));
    return [...rows.slice(0, after + 1), { ...inUnit[0], ...fields }, ...rows.slice(after + 1)];
  }
  return [...rows, { figure: reference.figure, skypool: null, unit: reference.unit, note: 'no Skypool figure', ...fields }];
}

// 28.73 s, 46.5 jobs/s, 1,588 tps: two decimals below 100, one below 1,000, none above
const number = (value) => value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 2 : value < 1000 ? 1 : 0 });
const cell = (text) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Skypool's figure over the reference's: 0.054 (three decimals below 0.1), 1.85 above. */
export function ratioOf(row) {
  if (row.skypool === null || row.reference === undefined || !(row.reference > 0)) return '';
  const ratio = row.skypool / row.reference;
  return ratio < 0.1 ? ratio.toFixed(3) : ratio.toFixed(2);
}

/**
 * The table in Markdown, under a line naming the date and the machine.
 * @param {Row[]} rows
 * @param {{ date: string, node: string, cpu: string, cores: number, quick?: boolean }} machine
 */
export function formatTable(rows, machine) {
  const lines = [
    `Measured ${machine.date} on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}${machine.quick ? ', BENCH_QUICK=1 (smaller runs)' : ''}; each reference in the same run.`,
    '',
    '| figure | Skypool | reference | ratio |',
    '|---|---|---|---|',
  ];
  for (const row of rows) {
    const skypool = row.skypool === null ? `not available: ${row.note ?? 'no figure'}` : `${number(row.skypool)} ${row.unit}`;
    const reference = row.reference !== undefined ? `${number(row.reference)} (${row.referenceName ?? 'reference'})` : (row.referenceName ?? '');
    lines.push(`| ${cell(row.figure)} | ${cell(skypool)} | ${cell(reference)} | ${ratioOf(row)} |`);
  }
  return lines.join('\n');
}
