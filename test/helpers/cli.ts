import { spawn } from 'node:child_process';

export interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `skypool <args>` as a user would (needs `npm run build`). */
export function runCli(args: string[], env: Record<string, string>): Promise<CliOutcome> {
  const child = spawn(process.execPath, ['dist/cli/main.js', ...args], {
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
