import { type ChildProcess, spawn } from 'node:child_process';

/** A broker as a separate process, run as `npm start` runs it: `node dist/main.bundle.js` (needs `npm run build`). */
export interface BrokerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends the signal and waits for the process to exit; resolves to its exit code (or signal). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface ProcessOutcome {
  code: number | null;
  stderr: string;
  stdout: string;
}

function launch(env: Record<string, string>): { child: ChildProcess; output: () => string; stderr: () => string; stdout: () => string } {
  const child = spawn(process.execPath, ['dist/main.bundle.js'], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, output: () => stdout + stderr, stderr: () => stderr, stdout: () => stdout };
}

const exited = (child: ChildProcess) =>
  new Promise<number | string>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode ?? child.signalCode!);
    child.once('exit', (code, signal) => resolve(code ?? signal!));
  });

/** Starts a broker process and waits for its "ready" log line, which carries its URL. */
export async function spawnBroker(env: Record<string, string>, timeoutMs = 60_000): Promise<BrokerProcess> {
  const { child, output } = launch(env);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker not ready within ${timeoutMs} ms:\n${output()}`)), timeoutMs);
    const look = () => {
      for (const line of output().split('\n')) {
        if (!line.includes('skypool broker is ready')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
        return;
      }
    };
    child.stdout!.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before it was ready:\n${output()}`));
    });
  });
  return {
    child,
    url,
    output,
    stop: (signal = 'SIGTERM') => {
      const done = exited(child);
      child.kill(signal);
      return done;
    },
  };
}

/** Runs a broker that is expected to refuse to start; resolves with what it printed. */
export async function runBrokerToExit(env: Record<string, string>, timeoutMs = 60_000): Promise<ProcessOutcome> {
  const { child, stderr, stdout } = launch(env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited(child);
  clearTimeout(timer);
  return { code: typeof code === 'number' ? code : null, stderr: stderr(), stdout: stdout() };
}
