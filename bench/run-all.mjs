// npm run bench — every benchmark, each next to its reference measured in the same run, then one
// table (figure | Skypool | reference | ratio) in Markdown, with the date and the machine, for the
// README. References: pgbench's TPC-B tps right before bench:submit and Slurm's sbatch rate right
// after it, both against submit's placed/s; bare Apollo is measured by bench:api itself.
// A benchmark missing from package.json or failing is a row saying so. BENCH_QUICK=1 makes every
// run smaller, for a smoke run. Prints figures; nothing here is asserted.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { measurePgbench, measureSbatch } from './references.mjs';
import { formatTable, rowsOf, unavailable, whyFailed, withReference } from './table.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const SERVER_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
// pgbench gets as many clients as bench:submit has
const SUBMIT_CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** What BENCH_QUICK=1 makes smaller, per benchmark (each also sees BENCH_QUICK=1 itself). */
const QUICK_SETTINGS = {
  allocator: { BENCH_REQUESTS: '5000', BENCH_SITES: '50' },
  submit: { BENCH_REQUESTS: '1000' },
  api: {},
  scale: {},
};

/** `npm run bench:<name>`, its output shown as it comes and kept. */
function runScript(name) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', `bench:${name}`], {
      env: { ...process.env, ...(QUICK ? QUICK_SETTINGS[name] : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      output += d;
    });
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      errors = (errors + d).slice(-10_000);
    });
    child.on('error', (err) => resolve({ code: -1, output, errors: String(err) }));
    child.on('close', (code, signal) => resolve({ code: code ?? signal, output, errors }));
  });
}

async function runBench(name) {
  if (!scripts[`bench:${name}`]) return [unavailable(name, `there is no bench:${name} in package.json`)];
  console.log(`\n== npm run bench:${name}`);
  const { code, output, errors } = await runScript(name);
  if (code !== 0) return [unavailable(name, `failed (exit ${code}): ${whyFailed(errors || output)}`)];
  return rowsOf(name, output);
}

/** A reference's figure, or why there is none. */
async function measure(what, run) {
  console.log(`\n== reference: ${what}`);
  const result = await run().catch((err) => ({ unavailable: String(err.message ?? err) }));
  console.log(result.unavailable ? `not available: ${result.unavailable}` : `${result.name}: ${result.value}`);
  return result;
}

// Ctrl-C reaches the benchmarks too, which clean up after themselves; exiting runs the references' exit handlers (slurmctld)
process.once('SIGINT', () => process.exit(130));

const rows = [...(await runBench('allocator'))];

const pgbench = await measure('pgbench', () => measurePgbench({ serverUrl: SERVER_URL, clients: SUBMIT_CLIENTS, seconds: QUICK ? 5 : 15, scale: 10 }));
let submit = await runBench('submit');
const sbatch = await measure('sbatch', () => measureSbatch({ jobs: QUICK ? 100 : 500, clients: 8 }));
const placed = { unit: 'placed/s', figure: 'Submit to placed on PostgreSQL' };
submit = withReference(submit, { ...placed, ...pgbench });
submit = withReference(submit, { ...placed, ...sbatch });
rows.push(...submit);

rows.push(...(await runBench('api')));
rows.push(...(await runBench('scale')));

const machine = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  cpu: cpus()[0]?.model.trim() ?? 'an unknown CPU',
  cores: availableParallelism(),
  quick: QUICK,
};
console.log('\n== the table (Markdown, for the README)\n');
console.log(formatTable(rows, machine));
