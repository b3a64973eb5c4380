import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, startTestBroker, type TestBroker } from './helpers/broker.js';
import { runCli } from './helpers/cli.js';

/**
 * The `skypool` command as a process against a broker: how it finds the broker and the token
 * (flags, environment, the login profile), and the exit statuses pinned in the API contract.
 */
let t: TestBroker;
let config: string;
/** A URL where nothing listens: a port that was just free. */
let closedUrl: string;
/** Another "broker" that records the Authorization headers it is sent. */
let stranger: Server;
let strangerUrl: string;
const strangerSaw: (string | undefined)[] = [];

beforeAll(async () => {
  t = await startTestBroker({ sites: '' });
  config = mkdtempSync(join(tmpdir(), 'skypool-cli-config-'));
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
  stranger = createServer((req, res) => {
    strangerSaw.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'not authenticated', extensions: { code: 'UNAUTHENTICATED' } }] }));
  });
  await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
  strangerUrl = `http://127.0.0.1:${(stranger.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t?.stop();
  await new Promise((resolve) => stranger?.close(resolve));
  rmSync(config, { recursive: true, force: true });
});

/** Runs the CLI with the test's own config folder and nothing else set. */
const cli = (args: string[], env: Record<string, string> = {}, input?: string) => runCli(args, { XDG_CONFIG_HOME: config, ...env }, input);

describe('skypool: parsing', () => {
  it('exits 2 on an unknown command or flag, and suggests the nearest', async () => {
    const command = await cli(['sitse', 'list']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("skypool: unknown command 'sitse'\n(Did you mean sites?)");
    const flag = await cli(['whoami', '--jsno']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("skypool: unknown option '--jsno'\n(Did you mean --json?)");
    expect((await cli([])).code).toBe(2);
  }, 60_000);

  it('exits 0 with the help asked for', async () => {
    const help = await cli(['sites', 'apply', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: skypool sites apply [options] <dir>');
  }, 60_000);
});

describe('skypool: connecting', () => {
  it('exits 3 when nothing listens at the URL, naming it', async () => {
    const outcome = await cli(['whoami', '--url', closedUrl, '--token', ADMIN_TOKEN]);
    expect(outcome.code).toBe(3);
    expect(outcome.stderr).toContain(`skypool: cannot reach the broker at ${closedUrl}`);
  }, 60_000);

  it('exits 3 when the broker refuses the token, and says where the token came from', async () => {
    const flag = await cli(['whoami', '--url', t.url, '--token', 'not-a-token-0123456789']);
    expect(flag.code).toBe(3);
    expect(flag.stderr).toContain('the token from --token was refused');
    const env = await cli(['whoami'], { SKYPOOL_URL: t.url, SKYPOOL_TOKEN: 'not-a-token-0123456789' });
    expect(env.code).toBe(3);
    expect(env.stderr).toContain('the token from SKYPOOL_TOKEN was refused');
  }, 60_000);

  it('whoami answers with --url and --token, or SKYPOOL_URL and SKYPOOL_TOKEN; --json prints one JSON value', async () => {
    const flags = await cli(['whoami', '--url', t.url, '--token', ADMIN_TOKEN, '--json']);
    expect(flags.code).toBe(0);
    const me = JSON.parse(flags.stdout);
    expect(me).toMatchObject({ kind: expect.any(String), name: expect.any(String) });
    expect(me.roles).toEqual(expect.arrayContaining([expect.objectContaining({ role: 'FEDERATION_ADMIN' })]));
    const env = await cli(['whoami'], { SKYPOOL_URL: t.url, SKYPOOL_TOKEN: ADMIN_TOKEN });
    expect(env.code).toBe(0);
    expect(env.stdout).toContain(`${me.name} (${me.kind}) at ${t.url}`);
  }, 60_000);

  it('login checks the token and keeps it for this account alone; later commands use it; logout forgets it', async () => {
    const refused = await cli(['login', '--url', t.url], {}, 'not-a-token-0123456789\n');
    expect(refused.code).toBe(3);
    const profile = join(config, 'skypool', 'config.json');
    expect(existsSync(profile)).toBe(false);

    const loggedIn = await cli(['login', '--url', `${t.url}/`], {}, `${ADMIN_TOKEN}\n`);
    expect(loggedIn.code).toBe(0);
    expect(loggedIn.stdout).toContain(`logged in to ${t.url} as`);
    expect(loggedIn.stdout + loggedIn.stderr).not.toContain(ADMIN_TOKEN);
    expect((statSync(profile).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(config, 'skypool')).mode & 0o777).toString(8)).toBe('700');
    expect(JSON.parse(readFileSync(profile, 'utf8'))).toEqual({ url: t.url, token: ADMIN_TOKEN });

    expect((await cli(['whoami'])).code).toBe(0);

    // the profile's token goes to the profile's broker only
    const elsewhere = await cli(['whoami', '--url', strangerUrl]);
    expect(elsewhere.code).toBe(3);
    expect(elsewhere.stderr).toContain('no token');
    expect(strangerSaw).toEqual([undefined]);

    const loggedOut = await cli(['logout']);
    expect(loggedOut.code).toBe(0);
    expect(loggedOut.stdout).toContain(`logged out of ${t.url}`);
    expect(existsSync(profile)).toBe(false);
    expect((await cli(['whoami'], { SKYPOOL_URL: t.url })).code).toBe(3);
  }, 60_000);

  it('login without a token is a usage error and writes nothing', async () => {
    const outcome = await cli(['login', '--url', t.url], {}, '\n');
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('no token given');
    expect(existsSync(join(config, 'skypool', 'config.json'))).toBe(false);
  }, 60_000);
});
