/**
 * The broker's bundle, made by src/build.mjs after SWC has compiled src/ into dist/: Rolldown
 * puts dist/main.js, all it imports and the packages they use into one file, dist/main.bundle.js,
 * which `npm start` runs. Loading some 2,500 modules one by one took most of a start (on Node 20,
 * which has no compile cache): from one file the broker is ready in about two thirds of the time.
 * It runs only when the compiled files or the locked packages changed since the last bundle.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

const OUTPUT = 'dist';
const ENTRY = join(OUTPUT, 'main.js');
const COMPILED = resolve(OUTPUT) + sep;
const BUNDLE = join(OUTPUT, 'main.bundle.js');
/** What the bundle was made from; a bundle whose inputs hash the same is current. */
const STAMP = join(OUTPUT, '.main.bundle.inputs');

/**
 * Left to Node at run time:
 * - PGlite finds its WebAssembly and data files beside its own module;
 * - Nest's and @nestjs/graphql's optional packages, which they try to load and do without (not
 *   installed here: a bundler cannot resolve them, and Node fails to find them as before).
 */
const EXTERNAL = [
  /^@electric-sql\/pglite/,
  /^@nestjs\/microservices/,
  /^@nestjs\/websockets/,
  /^@apollo\/(gateway|subgraph)/,
  /^@as-integrations\/fastify/,
  'class-transformer',
  'class-validator',
  'ts-morph',
];

/**
 * The CommonJS packages in the bundle (Nest, TypeORM, the AWS SDK) call `require`, which an ES
 * module does not have: one made for the bundle's place, so a name they compute at run time is
 * found in node_modules as before.
 */
const REQUIRE = "import { createRequire as __skypoolCreateRequire } from 'node:module';\nconst require = __skypoolCreateRequire(import.meta.url);";

/**
 * Each compiled file comes with SWC's source map; handed to Rolldown with the file, the bundle's
 * map leads back to the TypeScript (`node --enable-source-maps dist/main.bundle.js`).
 */
const compiledWithSourceMaps = {
  name: 'compiled-with-source-maps',
  load(id) {
    if (!id.startsWith(COMPILED) || !existsSync(`${id}.map`)) return null;
    return { code: readFileSync(id, 'utf8'), map: readFileSync(`${id}.map`, 'utf8') };
  },
};

/** The compiled files (the build's manifest holds a hash of each source), the locked packages and this script. */
function inputsHash(manifest) {
  const digest = createHash('sha256');
  for (const file of [manifest, 'package-lock.json', new URL(import.meta.url).pathname]) digest.update(file).update(readFileSync(file));
  return digest.digest('hex');
}

/**
 * Bundles dist/main.js unless the bundle is current; returns a line for the build's summary.
 * `writeAtomically` writes beside, then renames: a broker starting meanwhile reads the old bundle
 * or the new one, never half of one.
 */
export async function bundleBroker(manifest, writeAtomically) {
  const inputs = inputsHash(manifest);
  if (existsSync(BUNDLE) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === inputs) return `${BUNDLE} is current`;
  const started = Date.now();
  const { rolldown } = await import('rolldown');
  const bundle = await rolldown({ input: ENTRY, platform: 'node', external: EXTERNAL, plugins: [compiledWithSourceMaps], logLevel: 'warn' });
  try {
    const { output } = await bundle.generate({
      format: 'esm',
      banner: REQUIRE,
      // one file: main.js's lazy import of the broker (after the settings are checked) is kept as a lazy step inside it
      codeSplitting: false,
      // GraphQL type names, TypeORM's entities and Nest's messages come from class names
      keepNames: true,
      // V8 keeps a module's source for the functions it compiles when first called: without
      // comments, and in ASCII (one non-ASCII character makes V8 keep two bytes a character), the
      // bundle's takes 11 MB of memory, not 24
      comments: false,
      charset: 'ascii',
      sourcemap: true,
    });
    const [chunk] = output;
    writeAtomically(`${BUNDLE}.map`, chunk.map.toString());
    writeAtomically(BUNDLE, `${chunk.code}\n//# sourceMappingURL=main.bundle.js.map\n`);
  } finally {
    await bundle.close();
  }
  writeAtomically(STAMP, inputs);
  return `bundled the broker into ${BUNDLE} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
}
