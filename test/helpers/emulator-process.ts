import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ADMIN_TOKEN } from './broker.js';

/**
 * A site served by `skypool emulate` in a process of its own (needs `npm run build`), so a broker
 * can be killed without taking its sites along: they keep their instances and go on answering.
 */
export interface EmulatorProcess {
  name: string;
  /** Where the site's EC2 endpoint is: `<base>/<name>`. */
  endpoint: string;
  /** The emulator's base URL, for its listing at `<base>/<name>/instances` (with the test admin token). */
  base: string;
  /** A descriptor that registers the site with a broker (its endpoint and credentials), for SKYPOOL_SITES. */
  brokerDescriptor: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: no chance to save anything. */
  kill(): Promise<void>;
}

export interface EmulatedSiteOptions {
  name: string;
  vcpus: number;
  instanceTypes: { name: string; vcpus: number; memoryMiB: number }[];
  images: { image: string; imageId: string }[];
  /** The descriptor's `emulator:` settings (pendingSeconds, faults, compatibility, ...). */
  emulator?: Record<string, unknown>;
  /** A state file (`--state`), so the site keeps its instances across a restart. */
  stateFile?: string;
}

/**
 * Starts `skypool emulate` for one site on a free port. The emulator's own descriptor goes to
 * `<dir>/emulators/`, the one for the broker (with the emulator's URL as endpoint) to `<dir>/sites/`,
 * which is what SKYPOOL_SITES should name.
 */
export async function startEmulatorProcess(dir: string, options: EmulatedSiteOptions, timeoutMs = 30_000): Promise<EmulatorProcess> {
  const spec = {
    name: options.name,
    institution: 'Crash Test University',
    region: 'test-1',
    accessKeyId: `AKIA${options.name.toUpperCase().replace(/[^A-Z0-9]/g, '')}CRASHTEST`.slice(0, 20),
    secretAccessKey: `crash-test-secret/${options.name}/wJalrXUtnFEMI`,
    capacity: { vcpus: options.vcpus, memoryMiB: options.vcpus * 8192 },
    instanceTypes: options.instanceTypes,
    images: options.images,
  };
  mkdirSync(join(dir, 'emulators'), { recursive: true });
  mkdirSync(join(dir, 'sites'), { recursive: true });
  const emulatorFile = join(dir, 'emulators', `${options.name}.yaml`);
  // the emulator does not use the endpoint; the broker's descriptor gets the real one below
  writeFileSync(emulatorFile, stringify({ ...spec, endpoint: 'http://127.0.0.1:1/unused', emulator: options.emulator ?? {} }));
  const state = options.stateFile ? ['--state', options.stateFile] : [];
  const child: ChildProcess = spawn(process.execPath, ['dist/cli/main.js', 'emulate', emulatorFile, '--port', '0', ...state], {
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SKYPOOL_ADMIN_TOKEN: ADMIN_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator ${options.name} not ready within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout!.on('data', () => {
      const found = /emulating site \S+ at (http:\/\/\S+)/.exec(output);
      if (!found) return;
      clearTimeout(timer);
      resolve(found[1]!);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator ${options.name} exited with ${code}:\n${output}`));
    });
  });
  const brokerDescriptor = join(dir, 'sites', `${options.name}.yaml`);
  writeFileSync(brokerDescriptor, stringify({ ...spec, endpoint }));
  const ended = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return {
    name: options.name,
    endpoint,
    base: endpoint.slice(0, endpoint.length - options.name.length - 1),
    brokerDescriptor,
    stop: () => ended('SIGTERM'),
    kill: () => ended('SIGKILL'),
  };
}
