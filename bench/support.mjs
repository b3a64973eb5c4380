// What the database-backed benchmarks share: a database of their own on a PostgreSQL server, a
// broker started in this process on it, and a small GraphQL client over a keep-alive agent.
// (bench/submit.mjs has its own copy of the first two, written before this module; it can move
// to these when it is next changed.)
//
// BENCH_DIST=/path/to/dist runs another build of the broker (e.g. the main checkout's, to compare
// before and after on the same machine); the default is this checkout's dist/.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { graphqlData, httpRequest } from './http.mjs';

export const SERVER_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const distUrl = (path) => (process.env.BENCH_DIST ? pathToFileURL(join(resolve(process.env.BENCH_DIST), path)).href : new URL(`../dist/${path}`, import.meta.url).href);

/** Which build runs: this checkout's dist/ or BENCH_DIST. */
export const DIST = process.env.BENCH_DIST ? resolve(process.env.BENCH_DIST) : 'dist/';

/**
 * Runs `work(databaseUrl, workDir)` on a fresh database of the server at SERVER_URL and a fresh
 * temporary folder, and drops both afterwards, also on Ctrl-C.
 */
export async function withBenchDatabase(work) {
  const workDir = mkdtempSync(join(tmpdir(), 'skypool-bench-'));
  const name = `skypool_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const dropDatabase = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    rmSync(workDir, { recursive: true, force: true });
  };
  // Ctrl-C skips the finally below: leave no database behind then either
  process.once('SIGINT', () => dropDatabase().finally(() => process.exit(130)));
  try {
    const url = new URL(SERVER_URL);
    url.pathname = `/${name}`;
    return await work(url.toString(), workDir);
  } finally {
    await dropDatabase();
  }
}

/** Starts a broker in this process with the bench's settings over `env` (see loadConfig); resolves to startBroker's broker. */
export async function startBenchBroker(env) {
  const [{ startBroker }, { loadConfig }] = await Promise.all([import(distUrl('broker.js')), import(distUrl('config/config.js'))]);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'silent', // e.g. error, to see why requests fail
    SKYPOOL_SECRET_KEY: randomBytes(32).toString('hex'),
    ...env,
  });
  return startBroker(config);
}

/**
 * Serves EC2 sites (the emulator's site specs) from a child process; resolves to their base URL
 * (a site's endpoint is `${base}/${name}`) and `stop()`.
 */
export async function startRemoteSites(sites) {
  const child = fork(new URL('./sites-process.mjs', import.meta.url));
  child.send({ module: distUrl('compute/emulator/index.js'), sites });
  const base = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the sites' process ended (${code})`)));
  });
  return { base, stop: () => child.disconnect() };
}

/** A GraphQL client of one broker, with one keep-alive pool for all its calls. */
export class GraphqlClient {
  constructor(base, token) {
    this.base = base;
    this.token = token;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  post(path, body) {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return httpRequest(`${this.base}${path}`, { method: 'POST', agent: this.agent, headers }, body);
  }

  /** The operation's data; throws on any error. */
  async gql(query, variables = {}) {
    return graphqlData(await this.post('/graphql', JSON.stringify({ query, variables })));
  }

  close() {
    this.agent.destroy();
  }
}

export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export const median = (values) => percentile([...values].sort((a, b) => a - b), 50);
