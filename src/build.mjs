/**
 * `npm run build` (and before `npm start`, `npm test`, `npm run skypool`, ...): src/ -> dist/ with
 * SWC, the compiler the tests use too (its options are in .swcrc), then the broker bundled into one
 * file for `npm start` (bundle-broker.mjs) and the portal (portal/build-portal.mjs). Only the files
 * that changed since the last build are compiled, so with dist/ current it takes a fraction of a
 * second, and what a deleted source compiled to is removed. It only emits: `npm run typecheck` (tsc, which
 * CI runs) checks the types.
 */
import { transformFile, version as swcVersion } from '@swc/core';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { bundleBroker } from './bundle-broker.mjs';
import { buildPortal } from './portal/build-portal.mjs';

const SOURCE = 'src';
const OUTPUT = 'dist';
/** What the last build compiled: each source with a hash of its content. */
const MANIFEST = join(OUTPUT, '.build-manifest.json');

const swcOptions = JSON.parse(readFileSync('.swcrc', 'utf8'));
/** A change to the options, the compiler or this script changes what every file compiles to. */
const settings = hash(JSON.stringify(swcOptions), swcVersion, readFileSync(new URL(import.meta.url)));

function hash(...parts) {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest('hex').slice(0, 16);
}

/** The portal's single-page app: Vite builds it (src/portal/build-portal.mjs), not SWC. */
const PORTAL_APP = join(SOURCE, 'portal', 'web');

/** The broker's sources: TypeScript under src/, less the unit specs and the portal's app. */
function sources(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (path === PORTAL_APP) return [];
    if (entry.isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

const outputOf = (source) => join(OUTPUT, relative(SOURCE, source)).replace(/\.ts$/, '.js');

function readManifest() {
  try {
    return JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch {
    return { settings: undefined, files: {} };
  }
}

/** Written to a temporary name, then renamed: a build running beside this one never reads half a file. */
function writeAtomically(file, content) {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

async function compile(source) {
  const output = outputOf(source);
  const { code, map } = await transformFile(source, {
    ...swcOptions,
    swcrc: false,
    sourceMaps: true,
    sourceFileName: relative(dirname(output), source),
  });
  writeAtomically(`${output}.map`, map);
  writeAtomically(output, `${code}\n//# sourceMappingURL=${basename(output)}.map\n`);
}

const started = Date.now();
const previous = readManifest();
const files = Object.fromEntries(sources(SOURCE).map((source) => [source, hash(readFileSync(source))]));
const changed = Object.keys(files).filter((source) => previous.settings !== settings || previous.files[source] !== files[source] || !existsSync(outputOf(source)));
const deleted = Object.keys(previous.files).filter((source) => !(source in files));

for (const source of deleted) {
  rmSync(outputOf(source), { force: true });
  rmSync(`${outputOf(source)}.map`, { force: true });
}
try {
  await Promise.all(changed.map(compile));
} catch (err) {
  console.error(`build failed: ${err.message ?? err}`);
  process.exit(1);
}
if (changed.length || deleted.length || previous.settings !== settings) writeAtomically(MANIFEST, JSON.stringify({ settings, files }, null, 1));

const summary = [changed.length && `compiled ${changed.length} of ${Object.keys(files).length} files`, deleted.length && `removed the output of ${deleted.length} deleted`].filter(Boolean);
// on stderr: `npm run -s skypool -- ... --json` builds first, and its stdout is the command's alone
console.error(summary.length ? `${summary.join(', ')} into ${OUTPUT}/ in ${((Date.now() - started) / 1000).toFixed(1)} s` : `${OUTPUT}/ is current`);
try {
  console.error(await bundleBroker(MANIFEST, writeAtomically));
} catch (err) {
  console.error(`bundling the broker failed: ${err.message ?? err}`);
  process.exit(1);
}
try {
  console.error(await buildPortal());
} catch (err) {
  console.error(`portal build failed: ${err.message ?? err}`);
  process.exit(1);
}
