import { ListenError, startBroker, type Broker } from './broker.js';
import { ConfigError, loadConfig } from './config/config.js';
import { DataDirLockedError } from './database/data-dir-lock.js';
import { DatabaseUnavailableError } from './database/database.errors.js';
import { MappingError } from './identity/claims-mapping.js';
import { DescriptorError } from './sites/site-descriptors.js';

/** Problems the operator fixes: reported as one line, without a stack trace. */
const OPERATOR_ERRORS = [ConfigError, ListenError, DescriptorError, DataDirLockedError, DatabaseUnavailableError, MappingError];

/** SIGTERM or SIGINT: stop taking work, let running work finish, close the database, exit 0. */
function stopOnSignals(broker: Broker): void {
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
  try {
    stopOnSignals(await startBroker(loadConfig()));
  } catch (err) {
    if (OPERATOR_ERRORS.some((type) => err instanceof type)) console.error(`skypool: cannot start: ${(err as Error).message}`);
    else console.error('skypool: cannot start:', err);
    process.exit(1);
  }
}

void main();
