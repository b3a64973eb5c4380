#!/usr/bin/env node
/**
 * The `skypool` command line. Talks to a broker's GraphQL API, except `keys rotate` (the database
 * itself, with the broker stopped) and `emulate` (a site of the bundled EC2 emulator).
 */
import { CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';
import { buildProgram } from './program.js';

/** Help asked for is a success; help shown because something was missing is a usage error. */
const HELP_ASKED_FOR = new Set(['commander.helpDisplayed', 'commander.version']);

async function main(args: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(args, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK; // ssh passes on ssh's
  } catch (err) {
    if (err instanceof CommanderError) return HELP_ASKED_FOR.has(err.code) ? ExitCode.OK : ExitCode.USAGE; // commander printed why
    if (err instanceof CliError) {
      console.error(`skypool: ${err.message}`);
      return err.exitCode;
    }
    console.error('skypool: unexpected failure', err);
    return ExitCode.REFUSED;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
