import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ADMIN_TOKEN, SECRET_KEY } from './helpers/broker.js';
import { type BrokerProcess, spawnBroker } from './helpers/broker-process.js';
import { createTestDatabase, databaseKind, type TestDatabase } from './helpers/test-database.js';

/** The ```bash blocks of the README's Walkthrough section, in order: what a user pastes. */
function walkthroughScript(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Walkthrough'));
  if (!section) throw new Error('README.md has no "## Walkthrough" section');
  const blocks = [...section.matchAll(/^```bash\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  if (blocks.length < 5) throw new Error('the walkthrough has fewer code blocks than expected');
  return blocks.join('\n');
}

const readme = readFileSync('README.md', 'utf8');

/** What the walkthrough's text says the commands show, read from the README so that the two cannot drift apart. */
const claims = {
  bindingLimit: /`bindingLimit` names [^(]*\(here `(\w+)`\)/.exec(readme)![1]!,
  leaseError: /"message":"(leaseHours: [^"]+)"/.exec(readme)![1]!,
};

describe(`the README walkthrough, pasted as is, on the ${databaseKind} database`, () => {
  let broker: BrokerProcess;
  let database: TestDatabase;
  const dataDir = mkdtempSync(join(tmpdir(), 'skypool-readme-'));
  let scriptEnv: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    // as `npm start` runs it: no token configured on the embedded database; on a server a token, and the demo sites named
    const env: Record<string, string> = database.url
      ? { DATABASE_URL: database.url, SKYPOOL_SECRET_KEY: SECRET_KEY, SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN, SKYPOOL_DATA_DIR: dataDir, SKYPOOL_SITES: 'sites/demo' }
      : { SKYPOOL_DATA_DIR: dataDir };
    broker = await spawnBroker(env);
    // the broker is not on port 4000: only SKYPOOL_URL says where it is, for the helper and the CLI alike
    scriptEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SKYPOOL_URL: broker.url, SKYPOOL_DATA_DIR: dataDir, ...(database.url ? { SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN } : {}) };
  }, 90_000);

  afterAll(async () => {
    await broker?.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * -e stops at the first failing command; no pipefail, as in the shell a user pastes into.
   * Checks what the text says each step shows, and returns the project the walkthrough used.
   */
  async function runWalkthrough(): Promise<string> {
    const { stdout } = await promisify(execFile)('bash', ['-e', '-c', walkthroughScript()], { env: scriptEnv, timeout: 100_000 });
    const lines = stdout.split('\n').filter((l) => l.trim() !== '');

    const sites = JSON.parse(lines[0]!);
    expect(sites.data.sites).toHaveLength(3);
    expect(new Set(sites.data.sites.map((s: { institution: string }) => s.institution)).size).toBe(3);

    const plan = JSON.parse(lines.find((l) => l.includes('planRequest'))!);
    expect(plan.data.planRequest).toMatchObject({ feasible: true, reason: null, bindingLimit: claims.bindingLimit });
    expect(plan.data.planRequest.candidates[0].rank).toBe(1);

    const requestId = /^request (\S+)$/m.exec(stdout)![1]!;
    const running = JSON.parse(lines.find((l) => l.includes('"state":"RUNNING"') && l.includes('instances'))!);
    expect(running.data.resourceRequest.instances).toHaveLength(2);
    const ids = running.data.resourceRequest.instances.map((i: { siteInstanceId: string }) => i.siteInstanceId);

    const listingStart = stdout.indexOf('[\n');
    const listing = JSON.parse(stdout.slice(listingStart, stdout.indexOf('\n]', listingStart) + 2)) as { instanceId: string; state: string; tags: Record<string, string> }[];
    for (const id of ids) expect(listing.find((i) => i.instanceId === id)).toMatchObject({ state: 'running', tags: { 'skypool:request': requestId, experiment: 'walkthrough' } });

    expect(stdout).toContain('{"data":{"resourceRequest":{"state":"TERMINATED","instances":[{"state":"TERMINATED"},{"state":"TERMINATED"}]}}}');
    // the error the README shows is the error the broker gives
    expect(stdout).toContain(`"message":"${claims.leaseError}"`);
    expect(stdout).toContain('"code":"BAD_USER_INPUT","field":"leaseHours"');
    expect(stdout).toMatch(/"createServiceAccount":\{"token":"sp_[A-Za-z0-9_-]+"/);
    return /^project (\S+)$/m.exec(stdout)![1]!;
  }

  it('ends with a running request whose instances the site lists, then terminates it; pasted again, it does the same', async () => {
    const project = await runWalkthrough();
    expect(await runWalkthrough()).toBe(project);
  }, 240_000);
});
