import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
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
    for (const entry of ['src', 'package.json', '.swcrc']) cpSync(entry, join(project, entry), { recursive: true });
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
    expect(run.stderr.trim()).toBe('dist/ is current');
    expect(written(before, outputs())).toEqual([]);
  }, 300_000);

  it('compiles the one source that changed', () => {
    const before = outputs();
    appendFileSync(join(project, 'src', 'common', 'clock.ts'), '\nexport const BUILD_PROBE = 42;\n');
    build();
    expect(written(before, outputs())).toEqual(['common/clock.js', 'common/clock.js.map']);
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
