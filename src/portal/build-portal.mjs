/**
 * The portal's build, run by src/build.mjs: Vite bundles src/portal/web into dist/portal (the
 * portal at index.html and the API explorer at explorer.html, hashed assets under assets/). It runs
 * only when its inputs changed since the last build, so `npm start` with dist/portal current does
 * not wait for it; and it fails when the first page's JavaScript is over its budget.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = 'src/portal/web';
const OUTPUT = 'dist/portal';
/** What the build was made from; a build whose inputs hash the same is current. */
const STAMP = join(OUTPUT, '.inputs');
/** The first page's JavaScript, gzipped: the entry chunk and what it imports statically. */
export const FIRST_PAGE_BUDGET_BYTES = 300 * 1024;

function files(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

/** The portal's sources, the locked package versions and this script. */
function inputsHash() {
  const digest = createHash('sha256');
  for (const file of [...files(ROOT).sort(), 'package-lock.json', new URL(import.meta.url).pathname]) digest.update(file).update(readFileSync(file));
  return digest.digest('hex');
}

/** The gzipped size of the entry's JavaScript and its static imports (lazy pages are not counted). */
function firstPageBytes(outputDir) {
  const manifest = JSON.parse(readFileSync(join(outputDir, '.vite', 'manifest.json'), 'utf8'));
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const imported of manifest[key].imports ?? []) visit(imported);
  };
  visit('index.html');
  return [...seen].reduce((sum, key) => sum + gzipSync(readFileSync(join(outputDir, manifest[key].file))).length, 0);
}

/** Builds dist/portal unless it is current; returns a line for the build's summary. */
export async function buildPortal() {
  const inputs = inputsHash();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === inputs) return `${OUTPUT}/ is current`;
  const started = Date.now();
  const { build } = await import('vite');
  // built beside, then moved into place: a broker serving the old portal never sees half a build
  const building = `${OUTPUT}.${process.pid}.tmp`;
  await build({
    root: ROOT,
    configFile: false,
    base: '/',
    logLevel: 'warn',
    // production builds of React and the router, whatever NODE_ENV the build runs under (tests set 'test')
    mode: 'production',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    resolve: { conditions: ['module', 'browser', 'production'] },
    // and JSX compiled for them: under NODE_ENV=test (Jest's global setup builds too) Vite would
    // emit jsxDEV calls, which production React does not have, and the portal would not start
    oxc: { jsx: { development: false } },
    build: {
      outDir: join(process.cwd(), building),
      emptyOutDir: true,
      manifest: true,
      // recharts and GraphiQL are large, but only their own pages load them
      chunkSizeWarningLimit: 2048,
      rollupOptions: {
        input: { index: join(ROOT, 'index.html'), explorer: join(ROOT, 'explorer.html') },
        // "use client" at the top of React packages means nothing outside server components
        onwarn(warning, warn) {
          if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
        },
      },
    },
  });
  const firstPage = firstPageBytes(building);
  const sizes = `first page ${(firstPage / 1024).toFixed(0)} kB of JavaScript gzipped (budget ${FIRST_PAGE_BUDGET_BYTES / 1024} kB)`;
  if (firstPage > FIRST_PAGE_BUDGET_BYTES) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(`the portal is over its budget: ${sizes}; split what the first page does not need into lazy routes`);
  }
  writeFileSync(join(building, '.inputs'), inputs);
  // the old build is moved aside, not deleted, before the new one takes its place: the moment
  // without a portal is two renames long
  const previous = `${OUTPUT}.${process.pid}.old`;
  if (existsSync(OUTPUT)) renameSync(OUTPUT, previous);
  renameSync(building, OUTPUT);
  rmSync(previous, { recursive: true, force: true });
  return `built the portal into ${OUTPUT}/ in ${((Date.now() - started) / 1000).toFixed(1)} s: ${sizes}`;
}
