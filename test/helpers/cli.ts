import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `skypool <args>` as a user would (needs `npm run build`), with `input` piped to it if given. */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliOutcome> {
  const child = spawn(process.execPath, ['dist/cli/main.js', ...args], {
    // no profile of `skypool login` unless the test makes one (XDG_CONFIG_HOME)
    env: { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: join(tmpdir(), 'skypool-cli-without-profile'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Fails, showing what the command printed, unless it exited with `code`. */
export function expectExit(outcome: CliOutcome, code: number): void {
  if (outcome.code !== code) throw new Error(`exit status ${outcome.code}, expected ${code}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`);
}
