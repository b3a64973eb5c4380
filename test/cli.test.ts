import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { User } from '../src/identity/entities/user.entity.js';
import { ADMIN_TOKEN, eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { expectExit, runCli } from './helpers/cli.js';
import { projectWithAllocation } from './helpers/fixtures.js';

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
  t = await startTestBroker(); // the demo federation
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
    expectExit(command, 2);
    expect(command.stderr).toContain("skypool: unknown command 'sitse'\n(Did you mean sites?)");
    const flag = await cli(['whoami', '--jsno']);
    expectExit(flag, 2);
    expect(flag.stderr).toContain("skypool: unknown option '--jsno'\n(Did you mean --json?)");
    expect((await cli([])).code).toBe(2);
  }, 60_000);

  it('exits 0 with the help asked for', async () => {
    const help = await cli(['sites', 'apply', '--help']);
    expectExit(help, 0);
    expect(help.stdout).toContain('Usage: skypool sites apply [options] <dir>');
  }, 60_000);
});

describe('skypool emulate --json', () => {
  it('prints one JSON line once the site is served, then serves it until stopped', async () => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'emulate', 'sites/demo/umich.yaml', '--port', '0', '--json'], {
      env: { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: config, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.once('exit', (code) => reject(new Error(`emulate exited with ${code}`)));
      });
      const served = JSON.parse(line);
      expect(served).toMatchObject({ site: 'umich', endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/umich$/), stateFile: null, listingToken: expect.any(String) });
      const listing = await fetch(`${served.endpoint}/instances`, { headers: { authorization: `Bearer ${served.listingToken}` } });
      expect(listing.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 60_000);
});

describe('skypool: connecting', () => {
  it('exits 3 when nothing listens at the URL, naming it', async () => {
    const outcome = await cli(['whoami', '--url', closedUrl, '--token', ADMIN_TOKEN]);
    expectExit(outcome, 3);
    expect(outcome.stderr).toContain(`skypool: cannot reach the broker at ${closedUrl}`);
  }, 60_000);

  it('exits 3 when the broker refuses the token, and says where the token came from', async () => {
    const flag = await cli(['whoami', '--url', t.url, '--token', 'not-a-token-0123456789']);
    expectExit(flag, 3);
    expect(flag.stderr).toContain('the token from --token was refused');
    const env = await cli(['whoami'], { SKYPOOL_URL: t.url, SKYPOOL_TOKEN: 'not-a-token-0123456789' });
    expectExit(env, 3);
    expect(env.stderr).toContain('the token from SKYPOOL_TOKEN was refused');
  }, 60_000);

  it('whoami answers with --url and --token, or SKYPOOL_URL and SKYPOOL_TOKEN; --json prints one JSON value', async () => {
    const flags = await cli(['whoami', '--url', t.url, '--token', ADMIN_TOKEN, '--json']);
    expectExit(flags, 0);
    const me = JSON.parse(flags.stdout);
    expect(me).toMatchObject({ kind: expect.any(String), name: expect.any(String) });
    expect(me.roles).toEqual(expect.arrayContaining([expect.objectContaining({ role: 'FEDERATION_ADMIN' })]));
    const env = await cli(['whoami'], { SKYPOOL_URL: t.url, SKYPOOL_TOKEN: ADMIN_TOKEN });
    expectExit(env, 0);
    expect(env.stdout).toContain(`${me.name} (${me.kind}) at ${t.url}`);
  }, 60_000);

  it('login checks the token and keeps it for this account alone; later commands use it; logout forgets it', async () => {
    const refused = await cli(['login', '--url', t.url], {}, 'not-a-token-0123456789\n');
    expectExit(refused, 3);
    const profile = join(config, 'skypool', 'config.json');
    expect(existsSync(profile)).toBe(false);

    const loggedIn = await cli(['login', '--url', `${t.url}/`], {}, `${ADMIN_TOKEN}\n`);
    expectExit(loggedIn, 0);
    expect(loggedIn.stdout).toContain(`logged in to ${t.url} as`);
    expect(loggedIn.stdout + loggedIn.stderr).not.toContain(ADMIN_TOKEN);
    expect((statSync(profile).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(config, 'skypool')).mode & 0o777).toString(8)).toBe('700');
    expect(JSON.parse(readFileSync(profile, 'utf8'))).toEqual({ url: t.url, token: ADMIN_TOKEN });

    expect((await cli(['whoami'])).code).toBe(0);
    const sites = await cli(['sites', 'list', '--json']);
    expectExit(sites, 0);
    expect(JSON.parse(sites.stdout).map((site: { name: string }) => site.name)).toEqual(expect.arrayContaining(['umich', 'edinburgh']));

    // the profile's token goes to the profile's broker only
    const elsewhere = await cli(['whoami', '--url', strangerUrl]);
    expectExit(elsewhere, 3);
    expect(elsewhere.stderr).toContain('no token');
    expect(strangerSaw).toEqual([undefined]);

    const loggedOut = await cli(['logout', '--json']);
    expectExit(loggedOut, 0);
    expect(JSON.parse(loggedOut.stdout)).toEqual({ loggedOutOf: t.url });
    expect(existsSync(profile)).toBe(false);
    expect((await cli(['whoami'], { SKYPOOL_URL: t.url })).code).toBe(3);
  }, 60_000);

  it('login at a terminal asks for the token without showing it, and takes back a backspace', async () => {
    // a pseudo-terminal made by script(1); the token is typed once the prompt shows, as a person would
    const child = spawn('script', ['-qec', `"${process.execPath}" dist/cli/main.js login --url ${t.url}`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: config, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (d) => {
      const typedAlready = screen.includes('API token (not shown): ');
      screen += d;
      if (!typedAlready && screen.includes('API token (not shown): ')) child.stdin.write(`${ADMIN_TOKEN}x\u007f\r`);
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    expect(code).toBe(0);
    expect(screen).toContain(`logged in to ${t.url} as`);
    expect(screen).not.toContain(ADMIN_TOKEN.slice(0, 8));
    const profile = join(config, 'skypool', 'config.json');
    expect((statSync(profile).mode & 0o777).toString(8)).toBe('600');
    expect(JSON.parse(readFileSync(profile, 'utf8'))).toEqual({ url: t.url, token: ADMIN_TOKEN });
    expectExit(await cli(['logout']), 0);
  }, 60_000);

  it('login without a token is a usage error and writes nothing', async () => {
    const outcome = await cli(['login', '--url', t.url], {}, '\n');
    expectExit(outcome, 2);
    expect(outcome.stderr).toContain('no token given');
    expect(existsSync(join(config, 'skypool', 'config.json'))).toBe(false);
  }, 60_000);
});

describe('skypool: a researcher from project to running instance', () => {
  let projectId: string;
  /** As the researcher's scripts run it: the broker and token in the environment. */
  const as = (args: string[], input?: string) => cli(args, { SKYPOOL_URL: t.url, SKYPOOL_TOKEN: ADMIN_TOKEN }, input);
  const shape = ['--project', 'cli-climate', '--image', 'ubuntu-22.04', '--vcpus', '2', '--memory', '4GiB'];

  beforeAll(async () => {
    projectId = await projectWithAllocation(t.admin, { name: 'cli-climate', institution: 'University of Michigan' }, { vcpus: 8, memoryMiB: 32768, coreHours: 1000 });
  });

  it('projects: a table of what each project uses against its limits; --json the same as one value', async () => {
    const human = await as(['projects']);
    expectExit(human, 0);
    const [header, ...rows] = human.stdout.trim().split('\n');
    expect(header).toMatch(/^NAME\s+INSTITUTION\s+VCPUS\s+MEMORY MIB\s+CORE-HOURS LEFT\s+ID$/);
    const row = rows.find((r) => r.startsWith('cli-climate '))!;
    expect(row.indexOf(projectId)).toBe(header!.indexOf('ID')); // columns line up
    expect(row).toContain('0/8');
    const json = JSON.parse((await as(['projects', '--json'])).stdout);
    expect(json).toEqual(expect.arrayContaining([expect.objectContaining({ id: projectId, name: 'cli-climate', institution: 'University of Michigan' })]));
  }, 60_000);

  it('plan: where the request would run, sizes and durations as people write them', async () => {
    const outcome = await as(['plan', ...shape, '--lease', '90m', '--json']);
    expectExit(outcome, 0);
    const planned = JSON.parse(outcome.stdout);
    expect(planned).toMatchObject({ feasible: true, estimatedCoreHours: 3 }); // 2 vCPUs x 1.5 h
    expect(planned.candidates.length).toBeGreaterThan(0);
  }, 60_000);

  it('submit --wait: follows the request to RUNNING, each state on stderr, the request as JSON on stdout', async () => {
    const key = join(config, 'id_ed25519.pub');
    writeFileSync(key, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop\n');
    const userData = join(config, 'cloud-init.sh');
    writeFileSync(userData, '#!/bin/sh\necho hello\n');
    const submitted = ['submit', ...shape, '--lease', '2h', '--count', '2', '--ssh-key', key, '--user-data', userData, '--idempotency-key', 'cli-run-1', '--tag', 'slurm:node=cloud1', '--tag', 'run=1'];
    const outcome = await as([...submitted, '--wait', '--timeout', '60s', '--json']);
    expectExit(outcome, 0);
    const request = JSON.parse(outcome.stdout);
    expect(request).toMatchObject({ state: 'RUNNING', count: 2, memoryMiB: 4096, leaseHours: 2, project: { id: projectId } });
    expect(request.tags).toEqual([{ key: 'run', value: '1' }, { key: 'slurm:node', value: 'cloud1' }]);
    expect(request.instances).toHaveLength(2);
    const progress = outcome.stderr.trim().split('\n');
    expect(progress[0]).toBe(`submitted ${request.id}`);
    expect(progress.at(-1)).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${request.id} RUNNING`)); // plain lines, not a spinner: stderr is no terminal

    const again = await as(submitted); // a retry with the same key: the same request, nothing new
    expectExit(again, 0);
    expect(again.stdout).toMatch(new RegExp(`^${request.id} RUNNING`));
    expectExit(await as(['submit', ...shape, '--lease', '1', '--ssh-key', join(config, 'missing.pub')]), 2);

    const listed = JSON.parse((await as(['list', '--project', 'cli-climate', '--state', 'running', '--tag', 'slurm:node=cloud1', '--json'])).stdout);
    expect(listed.map((r: { id: string }) => r.id)).toEqual([request.id]);

    const printed = await as(['ssh', request.id, '--index', '1', '--print']);
    expectExit(printed, 0);
    const address = request.instances[1].publicIp ?? request.instances[1].privateIp;
    expect(printed.stdout.trim()).toBe(`ssh -o StrictHostKeyChecking=accept-new ubuntu@${address}`);

    // without --print it runs ssh (here a stand-in on the PATH that shows its arguments) and exits with its status
    const bin = join(config, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'ssh'), '#!/bin/sh\necho "ssh $*"\nexit 7\n', { mode: 0o755 });
    const ran = await runCli(['ssh', request.id], { XDG_CONFIG_HOME: config, SKYPOOL_URL: t.url, SKYPOOL_TOKEN: ADMIN_TOKEN, PATH: `${bin}:${process.env.PATH ?? ''}` });
    expectExit(ran, 7);
    expect(ran.stdout.trim()).toBe(`ssh -o StrictHostKeyChecking=accept-new ubuntu@${request.instances[0].publicIp ?? request.instances[0].privateIp}`);

    const extended = await as(['extend', request.id, '--hours', '3']);
    expectExit(extended, 0);
    expect(extended.stdout).toContain(`${request.id} lease ends `);

    const cancelled = await as(['cancel', request.id]);
    expectExit(cancelled, 0);
    expect(cancelled.stdout).toMatch(new RegExp(`^${request.id} cancelled: (TERMINATING|TERMINATED)`));
    const watched = await as(['watch', request.id]); // until a final state
    expectExit(watched, 0);
    expect(watched.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`Z ${request.id} TERMINATED`));
    const waitedForRunning = await as(['wait', request.id, '--for', 'running', '--timeout', '30s']);
    expectExit(waitedForRunning, 1); // it ended in another final state
    expect(waitedForRunning.stderr).toMatch(/TERMINAT/);
  }, 120_000);

  it('show: why a request waits, site by site, and its history; wait --timeout gives up with exit 4', async () => {
    const drained = await as(['sites', 'drain', 'umich', '--json']);
    expectExit(drained, 0);
    expect(JSON.parse(drained.stdout)).toMatchObject({ name: 'umich', draining: true });
    try {
      const submitted = await as(['submit', ...shape, '--lease', '1', '--site', 'umich', '--tag', 'slurm:node=cloud3', '--tag', 'slurm:cluster=hpc']);
      expectExit(submitted, 0);
      const id = submitted.stdout.trim().split(' ')[0]!;
      await t.admin.data('mutation($id: ID!) { addRequestNote(requestId: $id, note: "resume: waiting for cloud3") { kind } }', { id });
      const shown = await as(['show', id]);
      expectExit(shown, 0);
      expect(shown.stdout).toContain('\ntags: slurm:cluster=hpc, slurm:node=cloud3\n');
      expect(shown.stdout).toContain('why it waits, site by site:');
      expect(shown.stdout).toMatch(/umich\s+SITE_DRAINING/);
      expect(shown.stdout).toContain('history:');
      expect(shown.stdout).toMatch(/- -> PENDING: submitted by /);
      expect(shown.stdout).toMatch(/  NOTE: resume: waiting for cloud3\n/);

      const waited = await as(['wait', id, '--timeout', '3s']);
      expectExit(waited, 4);
      expect(waited.stderr).toContain(`skypool: gave up after 3 s: request ${id} is`);

      // on a terminal (a pseudo-terminal made by script(1)), a spinner turns on one line instead
      const onTerminal = await promisify(execFile)('script', ['-qec', `"${process.execPath}" dist/cli/main.js wait ${id} --timeout 2s`, '/dev/null'], {
        env: { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: config, SKYPOOL_URL: t.url, SKYPOOL_TOKEN: ADMIN_TOKEN, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      }).then(
        (done) => ({ code: 0, output: done.stdout }),
        (err: { code: number; stdout: string }) => ({ code: err.code, output: err.stdout }),
      );
      expect(onTerminal.code).toBe(4);
      expect(onTerminal.output).toMatch(/\r[|/\\-] \S+ (PENDING|QUEUED)/);
      expectExit(await as(['cancel', id]), 0);
    } finally {
      expectExit(await as(['sites', 'resume', 'umich']), 0);
    }
  }, 60_000);

  it('wait polls when no WebSocket gets through (a proxy that refuses the upgrade)', async () => {
    const proxy = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        void fetch(`${t.url}${req.url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body }).then(async (answer) =>
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()),
        );
      });
    }); // no 'upgrade' listener: Node refuses the WebSocket handshake
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const submitted = await as(['submit', ...shape, '--lease', '1']);
      expectExit(submitted, 0);
      const id = submitted.stdout.split(' ')[0]!;
      const waited = await cli(['wait', id, '--url', proxied, '--token', ADMIN_TOKEN, '--timeout', '60s']);
      expectExit(waited, 0);
      expect(waited.stdout).toMatch(new RegExp(`^${id} RUNNING`));
      expectExit(await as(['cancel', id]), 0);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, 90_000);

  it('pool create, show, scale, list and delete: a worker pool kept at its size', async () => {
    const created = await as(['pool', 'create', '--project', 'cli-climate', '--name', 'workers', '--image', 'ubuntu-22.04', '--vcpus', '1', '--memory', '1GiB', '--lease', '2h', '--max', '3', '--size', '1', '--json']);
    expectExit(created, 0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'workers', desiredSize: 1, minSize: 0, maxSize: 3, state: 'ACTIVE' });
    const running = await eventually(async () => {
      const shown = JSON.parse((await as(['pool', 'show', 'workers', '--json'])).stdout);
      return shown.running === 1 ? shown : undefined;
    }, 'the pool to run its member');
    expect(running.members).toHaveLength(1);
    const shown = await as(['pool', 'show', 'workers']);
    expect(shown.stdout).toMatch(/^workers \(\S+\) ACTIVE: 1 of 1 running \(from 0 to 3\)/);
    expect(shown.stdout).toMatch(/REQUEST\s+STATE\s+SITE\s+ADDRESS/);

    const beyond = await as(['pool', 'scale', 'workers', '--size', '4']);
    expectExit(beyond, 1);
    expect(beyond.stderr).toContain("skypool: --size: must be a whole number from the pool's minSize 0 to its maxSize 3, got 4");
    expectExit(await as(['pool', 'scale', 'workers', '--size', '0']), 0);
    const listed = await as(['pool', 'list', '--project', 'cli-climate']);
    expect(listed.stdout).toMatch(/^NAME\s+PROJECT\s+RUNNING\s+SIZES/);
    expect(listed.stdout).toMatch(/workers\s+cli-climate\s+\d\/0\s+0-3/);
    const deleted = await as(['pool', 'delete', 'workers']);
    expectExit(deleted, 0);
    expect(deleted.stdout).toContain('workers deleted');
    expect((await as(['pool', 'show', 'workers'])).stderr).toContain('no worker pool "workers"');
  }, 60_000);

  it('a refusal is exit 1 naming the flag; a value the CLI cannot read is exit 2', async () => {
    const unlabelled = await as(['submit', ...shape, '--lease', '1', '--require', 'gpu=h100']);
    expectExit(unlabelled, 1);
    expect(unlabelled.stderr).toContain("skypool: refused (INVALID_REQUEST): --require: no site offering 'ubuntu-22.04' with a fitting instance type has the labels gpu=h100");
    const overQuota = await as(['submit', ...shape, '--lease', '1', '--count', '9']);
    expectExit(overQuota, 1);
    expect(overQuota.stderr).toMatch(/^skypool: refused \(QUOTA/);
    const zeroLease = await as(['submit', ...shape, '--lease', '0']);
    expectExit(zeroLease, 1);
    expect(zeroLease.stderr).toContain('skypool: --lease: must be more than 0');
    const unknownProject = await as(['plan', ...shape.map((a) => (a === 'cli-climate' ? 'no-such-project' : a)), '--lease', '1']);
    expectExit(unknownProject, 1);
    expect(unknownProject.stderr).toContain('--project: no project "no-such-project" among those you may see');
    const unreadable = await as(['submit', ...shape.map((a) => (a === '4GiB' ? '4 gigs' : a)), '--lease', '1']);
    expectExit(unreadable, 2);
    expect(unreadable.stderr).toContain('--memory: expected a size such as 2048 (MiB), 2048MiB or 4GiB, got "4 gigs"');
    const reserved = await as(['submit', ...shape, '--lease', '1', '--tag', 'skypool:request=mine']);
    expectExit(reserved, 1);
    expect(reserved.stderr).toContain('skypool: --tag: keys starting with skypool: are reserved, got "skypool:request"');
    const untagged = await as(['list', '--tag', 'cloud3']);
    expectExit(untagged, 2);
    expect(untagged.stderr).toContain('--tag: expected key=value, e.g. slurm:node=cloud3, got "cloud3"');
    const missing = await as(['submit', '--project', 'cli-climate']);
    expectExit(missing, 2);
    expect(missing.stderr).toContain("required option '--image <image>' not specified");
  }, 60_000);
});

describe('skypool: an admin sets up a project', () => {
  const as = (args: string[]) => cli(args, { SKYPOOL_URL: t.url, SKYPOOL_TOKEN: ADMIN_TOKEN });
  const json = async (args: string[]) => {
    const outcome = await as([...args, '--json']);
    expectExit(outcome, 0);
    return JSON.parse(outcome.stdout);
  };

  it('projects create, allocations grant, update, list and revoke; a refused value names its flag', async () => {
    const project = await json(['projects', 'create', '--name', 'cli-admin', '--institution', 'University of Michigan']);
    expect(project).toMatchObject({ name: 'cli-admin', institution: 'University of Michigan' });

    const granted = await as(['allocations', 'grant', '--project', 'cli-admin', '--vcpus', '8', '--memory', '32GiB', '--core-hours', '100', '--ends', '2030-01-31']);
    expectExit(granted, 0);
    const [header, row] = granted.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+VCPUS\s+MEMORY MIB\s+GPUS\s+CORE-HOURS\s+STARTS\s+ENDS\s+STATUS$/);
    expect(row).toMatch(/\s8\s+32768\s+0\s+100\s+2030-01-31\s+active$/);

    const [allocation] = await json(['allocations', 'list', '--project', project.id]);
    expect(allocation).toMatchObject({ vcpus: 8, memoryMiB: 32768, coreHours: 100, endsAt: '2030-01-31T00:00:00.000Z' });
    expect(await json(['allocations', 'update', allocation.id, '--vcpus', '16'])).toMatchObject({ id: allocation.id, vcpus: 16, memoryMiB: 32768 });

    const backwards = await as(['allocations', 'grant', '--project', 'cli-admin', '--vcpus', '8', '--memory', '1GiB', '--starts', '2030-02-01', '--ends', '2030-01-01']);
    expectExit(backwards, 1);
    expect(backwards.stderr).toMatch(/^skypool: --ends: /);
    expectExit(await as(['allocations', 'grant', '--project', 'cli-admin', '--vcpus', '8']), 2); // --memory missing

    const revoked = await json(['allocations', 'revoke', allocation.id]);
    expect(revoked.revokedAt).toEqual(expect.any(String));
  }, 60_000);

  it('members add, list and remove', async () => {
    await json(['projects', 'create', '--name', 'cli-members', '--institution', 'University of Michigan']);
    // users come from OIDC logins; here one is written directly, as a login would
    await t.broker.app.get(DataSource).getRepository(User).save({ issuer: 'https://idp.example.edu', subject: 'ada', email: 'ada@example.org', emailVerified: true, displayName: 'Ada' });
    const added = await json(['members', 'add', '--project', 'cli-members', '--email', 'ada@example.org', '--role', 'researcher']);
    expect(added).toMatchObject({ role: 'RESEARCHER', user: { email: 'ada@example.org' } });
    expect(await json(['members', 'list', '--project', 'cli-members'])).toEqual([expect.objectContaining({ role: 'RESEARCHER', user: expect.objectContaining({ email: 'ada@example.org' }) })]);
    expect(await json(['members', 'remove', '--project', 'cli-members', '--user', added.user.id])).toEqual({ removed: true });
    expect(await json(['members', 'list', '--project', 'cli-members'])).toEqual([]);
    expectExit(await as(['members', 'add', '--project', 'cli-members', '--role', 'wizard', '--email', 'x@example.org']), 2);
    expectExit(await as(['members', 'add', '--project', 'cli-members', '--role', 'researcher']), 2); // neither --user nor --email
  }, 60_000);

  it('tokens create prints the token once; it works until tokens revoke; audit shows what was done', async () => {
    await json(['projects', 'create', '--name', 'cli-tokens', '--institution', 'University of Michigan']);
    const created = await as(['tokens', 'create', '--name', 'cli-nightly', '--role', 'researcher', '--project', 'cli-tokens', '--expires-in', '30d']);
    expectExit(created, 0);
    const token = created.stdout.trim();
    expect(token.split('\n')).toHaveLength(1);
    expect(created.stderr).toContain('shown this once');
    expectExit(await cli(['whoami', '--url', t.url, '--token', token]), 0);

    const listed = await json(['tokens', 'list']);
    const mine = listed.find((k: { name: string }) => k.name === 'cli-nightly');
    expect(mine).toMatchObject({ role: 'RESEARCHER', revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(token);
    expectExit(await as(['tokens', 'revoke', mine.id]), 0);
    expectExit(await cli(['whoami', '--url', t.url, '--token', token]), 3);

    const events = await json(['audit', '--action', 'project.create', '--limit', '10']);
    expect(events.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['project.create']));
    expect((await as(['audit', '--limit', '3'])).stdout.trim().split('\n')[0]).toMatch(/^AT\s+ACTION\s+BY\s+TARGET$/);
  }, 60_000);
});
