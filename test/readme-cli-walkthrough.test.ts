import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ADMIN_TOKEN, SECRET_KEY } from './helpers/broker.js';
import { type BrokerProcess, spawnBroker } from './helpers/broker-process.js';
import { GraphqlClient } from './helpers/graphql-client.js';
import { createTestDatabase, databaseKind, type TestDatabase } from './helpers/test-database.js';

/** The code blocks of the README's "Walkthrough from the command line", in order: what a user pastes. */
function walkthroughScript(): string {
  const section = readFileSync('README.md', 'utf8')
    .split(/^## /m)
    .find((s) => s.startsWith('Walkthrough from the command line\n'));
  if (!section) throw new Error('README.md has no "## Walkthrough from the command line" section');
  const blocks = [...section.matchAll(/^```bash\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  if (blocks.length < 3) throw new Error('the command-line walkthrough has fewer code blocks than expected');
  return blocks.join('\n');
}

describe(`the README's command-line walkthrough, pasted as is, on the ${databaseKind} database`, () => {
  let broker: BrokerProcess;
  let database: TestDatabase;
  const home = mkdtempSync(join(tmpdir(), 'skypool-cli-walkthrough-'));
  const dataDir = join(home, 'data');
  let scriptEnv: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    // as `npm start` runs it: no token configured on the embedded database; on a server a token, and the demo sites named
    const env: Record<string, string> = database.url
      ? { DATABASE_URL: database.url, SKYPOOL_SECRET_KEY: SECRET_KEY, SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN, SKYPOOL_DATA_DIR: dataDir, SKYPOOL_SITES: 'sites/demo' }
      : { SKYPOOL_DATA_DIR: dataDir };
    broker = await spawnBroker(env);
    // `skypool` on the PATH, as `npm link` puts it there
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'skypool'), `#!/bin/sh\nexec "${process.execPath}" "${resolve('dist/cli/main.js')}" "$@"\n`);
    chmodSync(join(bin, 'skypool'), 0o755);
    scriptEnv = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: home, // no login profile but the test's
      SKYPOOL_URL: broker.url, // the broker is not on port 4000
      SKYPOOL_DATA_DIR: dataDir,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(database.url ? { SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN } : {}),
    };
  }, 90_000);

  afterAll(async () => {
    await broker?.stop();
    await database?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  /** -e stops at the first failing command, as `set -e` would; returns what it printed. */
  async function runWalkthrough(): Promise<{ stdout: string; stderr: string; request: string }> {
    const { stdout, stderr } = await promisify(execFile)('bash', ['-e', '-c', walkthroughScript()], { env: scriptEnv, timeout: 200_000 });
    const request = /^(\S+) RUNNING\b/m.exec(stdout)?.[1];
    if (!request) throw new Error(`the request never ran:\n${stdout}\n${stderr}`);
    expect(stdout).toMatch(/^NAME\s+STATE/m); // sites list
    expect(stdout).toMatch(/^feasible now: about 16 core-hours$/m); // 2 x 2 vCPUs x 4 h
    expect(stdout).toContain('history:');
    expect(stdout).toMatch(new RegExp(`^ssh -o StrictHostKeyChecking=accept-new ubuntu@127\\.\\S+$`, 'm'));
    expect(stdout).toContain(`${request} cancelled: `);
    expect(stdout).toMatch(new RegExp(`^${request} TERMINATED\\b`, 'm'));
    expect(stderr).toMatch(new RegExp(`Z ${request} (PENDING|PROVISIONING)`)); // wait showed the states on the way
    return { stdout, stderr, request };
  }

  it('runs a request to RUNNING and ends it; pasted again, it does the same with the same project', async () => {
    const first = await runWalkthrough();
    const second = await runWalkthrough();
    expect(second.request).not.toBe(first.request);
    const admin = new GraphqlClient(broker.url, database.url ? ADMIN_TOKEN : readFileSync(join(dataDir, 'admin-token'), 'utf8').trim());
    const { projects } = await admin.data<{ projects: { name: string }[] }>('{ projects { name } }');
    expect(projects.filter((p) => p.name === 'climate-cli')).toHaveLength(1);
  }, 300_000);
});
