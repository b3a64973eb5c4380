import { ConfigError, loadConfig } from './config/config.js';
import { startBroker } from './broker.js';
import { DescriptorError } from './sites/site-descriptors.js';
import { DataDirLockedError } from './database/data-dir-lock.js';

/** `npm start`: one line on stderr and exit code 1 for anything the operator must fix. */
async function main(): Promise<void> {
  try {
    await startBroker(loadConfig());
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DescriptorError || err instanceof DataDirLockedError) {
      console.error(`skypool: cannot start: ${err.message}`);
    } else {
      console.error('skypool: cannot start:', err);
    }
    process.exit(1);
  }
}

void main();
