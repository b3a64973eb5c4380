import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type Config } from './config/config.js';

/**
 * Node 22 keeps the code it compiles between starts (some 15% of a start; Node 20 has no such
 * cache). Beside the installation, not in the shared temporary folder, where another account could
 * plant compiled code; where it cannot be written, Node goes on without it.
 */
(module as { enableCompileCache?: (directory: string) => unknown }).enableCompileCache?.(fileURLToPath(new URL('../node_modules/.cache/node-compile-cache', import.meta.url)));

function refuseToStart(err: unknown, isOperatorError: (err: unknown) => boolean): never {
  if (isOperatorError(err)) console.error(`skypool: cannot start: ${(err as Error).message}`);
  else console.error('skypool: cannot start:', err);
  process.exit(1);
}

/** SIGTERM or SIGINT: stop taking work, let running work finish, close the database, exit 0. */
function stopOnSignals(broker: { close(): Promise<void> }): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    broker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`skypool: error while stopping on ${signal}:`, err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    refuseToStart(err, (e) => e instanceof ConfigError);
  }
  // the application's modules load only once the settings are good: a mistake in them is reported at once
  const { isOperatorError, startBroker } = await import('./broker.js');
  try {
    stopOnSignals(await startBroker(config));
  } catch (err) {
    refuseToStart(err, isOperatorError);
  }
}

void main();
