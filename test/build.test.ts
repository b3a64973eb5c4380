import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

/**
 * `npm run build` (run before `npm start`, `npm test`, `npm run skypool`, ...) on a copy of the
 * project: it compiles what changed and nothing else, and what a deleted source compiled to goes.
 * Work is counted as the output files written, never timed.
 */
describe('npm run build', () => {
  let project: string;

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'skypool-build-'));
    for (const entry of ['src', 'package.json', 'package-lock.json', '.swcrc']) cpSync(entry, join(project, entry), { recursive: true });
    symlinkSync(resolve('node_modules'), join(project, 'node_modules'));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  function build(): string {
    const run = spawnSync('npm', ['run', '-s', 'build'], { cwd: project, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    if (run.status !== 0) throw new Error(`npm run build failed (${run.status}):\n${run.stdout}${run.stderr}`);
    return run.stderr;
  }

  /** Every file under dist/ with its modification time. */
  function outputs(): Map<string, number> {
    const found = new Map<string, number>();
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) walk(path);
        else found.set(relative(join(project, 'dist'), path), statSync(path).mtimeMs);
      }
    };
    walk(join(project, 'dist'));
    return found;
  }

  const written = (before: Map<string, number>, after: Map<string, number>) =>
    [...after].filter(([file, mtime]) => before.get(file) !== mtime && !file.startsWith('.')).map(([file]) => file).sort();

  it('compiles every source of a fresh clone, then nothing while dist/ is current', () => {
    build();
    const first = outputs();
    expect(first.has('main.js')).toBe(true);
    expect(first.has('main.bundle.js')).toBe(true); // what `npm start` runs
    expect(first.has('cli/main.js')).toBe(true);
    expect([...first.keys()].some((file) => file.endsWith('.spec.js'))).toBe(false);

    build();
    expect(written(first, outputs())).toEqual([]);
  }, 300_000);

  it('leaves stdout to the command it runs: npm run -s skypool -- ... --json can be piped to jq', () => {
    build();
    const before = outputs();
    const run = spawnSync('npm', ['run', '-s', 'skypool', '--', 'completion', 'bash'], { cwd: project, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(run.status).toBe(0);
    expect(run.stdout.startsWith('# skypool completion for bash')).toBe(true);
    expect(run.stderr.trim()).toBe('dist/ is current\ndist/main.bundle.js is current\ndist/portal/ is current');
    expect(written(before, outputs())).toEqual([]);
  }, 300_000);

  it('builds the portal with the broker, again only when one of its sources changed', () => {
    build();
    const before = outputs();
    expect(before.has('portal/index.html')).toBe(true);
    expect(before.has('portal/explorer.html')).toBe(true);
    // the broker's code is not the portal's: a change to it leaves the portal alone
    appendFileSync(join(project, 'src', 'common', 'clock.ts'), '\nexport const PORTAL_PROBE = 1;\n');
    expect(build()).toContain('dist/portal/ is current');

    appendFileSync(join(project, 'src', 'portal', 'web', 'src', 'styles.css'), '\n.build-probe { color: red; }\n');
    expect(build()).toMatch(/built the portal into dist\/portal\/ in [\d.]+ s: first page \d+ kB of JavaScript gzipped \(budget 300 kB\)/);
    const css = [...outputs().keys()].filter((file) => /^portal\/assets\/index-.*\.css$/.test(file));
    expect(css).toHaveLength(1);
    expect(readFileSync(join(project, 'dist', css[0]!), 'utf8')).toContain('.build-probe');
  }, 300_000);

  it('builds a production portal under NODE_ENV=test too, as Jest\'s global setup runs the build', () => {
    appendFileSync(join(project, 'src', 'portal', 'web', 'src', 'styles.css'), '\n.node-env-probe { color: blue; }\n');
    const run = spawnSync('npm', ['run', '-s', 'build'], { cwd: project, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' } });
    expect(run.stderr).toMatch(/built the portal into dist\/portal\//);
    // development JSX (jsxDEV) against the production React the build resolves fails as the page starts
    const scripts = [...outputs().keys()].filter((file) => /^portal\/assets\/.*\.js$/.test(file));
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((file) => readFileSync(join(project, 'dist', file), 'utf8').includes('jsxDEV'))).toEqual([]);
  }, 300_000);

  it('fails when the first page is over its JavaScript budget, and leaves the last good portal', () => {
    build();
    const before = readFileSync(join(project, 'dist', 'portal', 'index.html'), 'utf8');
    // 400 kB of random bytes (as base64, which gzip cannot shrink below 300 kB) reached from the first page
    const filler = randomBytes(400 * 1024).toString('base64');
    writeFileSync(join(project, 'src', 'portal', 'web', 'src', 'filler.ts'), `export const FILLER = ${JSON.stringify(filler)};\n`);
    appendFileSync(join(project, 'src', 'portal', 'web', 'src', 'main.tsx'), "\nimport { FILLER } from './filler';\ndocument.title = FILLER;\n");
    const run = spawnSync('npm', ['run', '-s', 'build'], { cwd: project, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(run.stderr).toMatch(/portal build failed: the portal is over its budget: first page \d+ kB of JavaScript gzipped \(budget 300 kB\)/);
    expect(run.status).toBe(1);
    expect(readFileSync(join(project, 'dist', 'portal', 'index.html'), 'utf8')).toBe(before);
    unlinkSync(join(project, 'src', 'portal', 'web', 'src', 'filler.ts'));
    writeFileSync(join(project, 'src', 'portal', 'web', 'src', 'main.tsx'), readFileSync('src/portal/web/src/main.tsx', 'utf8'));
  }, 300_000);

  it('compiles the one source that changed, and bundles the broker again', () => {
    const before = outputs();
    appendFileSync(join(project, 'src', 'common', 'clock.ts'), '\nexport const BUILD_PROBE = 42;\n');
    build();
    expect(written(before, outputs())).toEqual(['common/clock.js', 'common/clock.js.map', 'main.bundle.js', 'main.bundle.js.map']);
    expect(readFileSync(join(project, 'dist', 'common', 'clock.js'), 'utf8')).toContain('BUILD_PROBE = 42');
  }, 300_000);

  it('removes what a deleted source compiled to, so no stale module can still be imported', () => {
    writeFileSync(join(project, 'src', 'common', 'build-probe.ts'), 'export const probe = 1;\n');
    build();
    expect(existsSync(join(project, 'dist', 'common', 'build-probe.js'))).toBe(true);

    unlinkSync(join(project, 'src', 'common', 'build-probe.ts'));
    build();
    expect(existsSync(join(project, 'dist', 'common', 'build-probe.js'))).toBe(false);
    expect(existsSync(join(project, 'dist', 'common', 'build-probe.js.map'))).toBe(false);
  }, 300_000);
});
