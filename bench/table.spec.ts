import { describe, expect, it } from '@jest/globals';
import { formatTable, parseOutput, ratioOf, rowsOf, unavailable, whyFailed, withReference, type Row } from './table.mjs';

const machine = { date: '2026-11-25', node: 'v20.19.0', cpu: 'AMD EPYC', cores: 2 };

describe("npm run bench's table", () => {
  it('reads the table: lines before the last line, and says which cannot be read', () => {
    const output = [
      'setup: 10 sites',
      'table: {"figure":"`{ __typename }`","skypool":2305,"unit":"req/s","reference":6354,"referenceName":"bare @apollo/server"}',
      'table: {"figure":"no number","skypool":"fast","unit":"req/s"}',
      'table: {not json',
      'api: 2305 req/s typename (0.36 of bare Apollo), 63 req/s page of 100, p99 243 ms',
      '',
    ].join('\n');
    const { rows, lastLine } = parseOutput(output);
    expect(lastLine).toBe('api: 2305 req/s typename (0.36 of bare Apollo), 63 req/s page of 100, p99 243 ms');
    expect(rows).toEqual([
      { figure: '`{ __typename }`', skypool: 2305, unit: 'req/s', reference: 6354, referenceName: 'bare @apollo/server' },
      { figure: 'unreadable table line: {"figure":"no number","skypool":"fast","unit":"req/s"}', skypool: null, unit: '', note: 'not a table row' },
      { figure: 'unreadable table line: {not json', skypool: null, unit: '', note: 'not a table row' },
    ]);
  });

  it("takes a benchmark's own table: lines; without any, its pinned last line; without that, a row saying so", () => {
    const scale = 'table: {"figure":"1,000 VMs on 10 sites: all RUNNING (s)","skypool":21.4,"unit":"s"}\nscale: 1000 VMs on 10 sites RUNNING in 21.40 s, p50 9000 ms, p99 14000 ms, 0 duplicates, 0 orphans\n';
    expect(rowsOf('scale', scale)).toEqual([{ figure: '1,000 VMs on 10 sites: all RUNNING (s)', skypool: 21.4, unit: 's' }]);
    expect(rowsOf('allocator', 'federation: ...\nallocator: 44196 decisions/s, cycle 1.131 s, peak 141 MB\n')).toEqual([
      { figure: 'Allocator core: decisions per second (best run)', skypool: 44196, unit: 'decisions/s' },
    ]);
    expect(rowsOf('submit', 'submit: 414 submitted/s, 328 placed/s, p99 308 ms, peak 398 MB')).toEqual([
      { figure: 'Submit to placed on PostgreSQL', skypool: 328, unit: 'placed/s' },
      { figure: 'Submit latency p99', skypool: 308, unit: 'ms' },
    ]);
    expect(rowsOf('api', 'api: 2305 req/s typename (0.36 of bare Apollo), 63 req/s page of 100, p99 243 ms')[0]).toMatchObject({ skypool: 2305, reference: 6403 });
    expect(rowsOf('submit', 'Error: connect ECONNREFUSED')).toEqual([unavailable('submit', 'no figures; its last line: Error: connect ECONNREFUSED')]);
  });

  it("says why a benchmark failed by its last error message, not Node's closing lines", () => {
    const uncaught = [
      'file:///work/bench/submit.mjs:262',
      'await admin.connect();',
      'Error: connect ECONNREFUSED 127.0.0.1:1',
      '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16) {',
      "  errno: -111,",
      '}',
      '',
      'Node.js v20.20.2',
    ].join('\n');
    expect(whyFailed(uncaught)).toBe('Error: connect ECONNREFUSED 127.0.0.1:1');
    expect(whyFailed('GraphQL 400: [{"message":"x"}]\nsomething else went wrong\n')).toBe('something else went wrong');
    expect(whyFailed('')).toBe('(no output)');
  });

  it('puts each reference next to the figure in its unit: one figure with two references makes two rows', () => {
    const submit: Row[] = [
      { figure: 'Submit to placed on PostgreSQL', skypool: 86, unit: 'placed/s' },
      { figure: 'Submit latency p99', skypool: 1400, unit: 'ms' },
    ];
    const placed = { unit: 'placed/s', figure: 'Submit to placed on PostgreSQL' };
    const withPgbench = withReference(submit, { ...placed, value: 1588, name: 'pgbench TPC-B tps' });
    const withBoth = withReference(withPgbench, { ...placed, value: 46.5, name: 'Slurm sbatch jobs/s' });
    expect(withBoth).toEqual([
      { figure: 'Submit to placed on PostgreSQL', skypool: 86, unit: 'placed/s', reference: 1588, referenceName: 'pgbench TPC-B tps' },
      { figure: 'Submit to placed on PostgreSQL', skypool: 86, unit: 'placed/s', reference: 46.5, referenceName: 'Slurm sbatch jobs/s' },
      { figure: 'Submit latency p99', skypool: 1400, unit: 'ms' },
    ]);
    expect(submit[0]).toEqual({ figure: 'Submit to placed on PostgreSQL', skypool: 86, unit: 'placed/s' }); // not changed in place

    // a reference that could not run says why; a benchmark that failed still shows its reference
    expect(withReference(submit, { ...placed, unavailable: 'Slurm is not installed' })[0]).toMatchObject({ referenceName: 'not available: Slurm is not installed' });
    expect(withReference([unavailable('submit', 'failed (exit 1)')], { ...placed, value: 1588, name: 'pgbench TPC-B tps' })).toEqual([
      unavailable('submit', 'failed (exit 1)'),
      { figure: 'Submit to placed on PostgreSQL', skypool: null, unit: 'placed/s', note: 'no Skypool figure', reference: 1588, referenceName: 'pgbench TPC-B tps' },
    ]);
  });

  it('prints Markdown: the machine, then figure | Skypool | reference | ratio', () => {
    const rows: Row[] = [
      { figure: 'Allocator core', skypool: 44196, unit: 'decisions/s' },
      { figure: 'Submit to placed', skypool: 86, unit: 'placed/s', reference: 1588, referenceName: 'pgbench TPC-B tps' },
      { figure: 'Submit to placed', skypool: 86, unit: 'placed/s', reference: 46.5, referenceName: 'Slurm sbatch jobs/s' },
      { figure: 'a | b', skypool: 28.734, unit: 's' },
      unavailable('api', 'there is no bench:api in package.json'),
    ];
    expect(formatTable(rows, machine).split('\n')).toEqual([
      'Measured 2026-11-25 on AMD EPYC (2 cores), Node v20.19.0; each reference in the same run.',
      '',
      '| figure | Skypool | reference | ratio |',
      '|---|---|---|---|',
      '| Allocator core | 44,196 decisions/s |  |  |',
      '| Submit to placed | 86 placed/s | 1,588 (pgbench TPC-B tps) | 0.054 |',
      '| Submit to placed | 86 placed/s | 46.5 (Slurm sbatch jobs/s) | 1.85 |',
      '| a \\| b | 28.73 s |  |  |',
      '| bench:api | not available: there is no bench:api in package.json |  |  |',
    ]);
    expect(formatTable([], { ...machine, quick: true })).toMatch(/BENCH_QUICK=1/);
    expect(ratioOf({ figure: 'x', skypool: 5, unit: 'req/s', reference: 0 })).toBe('');
  });
});
