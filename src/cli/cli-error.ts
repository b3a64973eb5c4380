import { ExitCode } from './exit-codes.js';

/** A failure the user can act on: printed as one message, no stack trace, with its exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.REFUSED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line itself is wrong (an unknown command or flag, a missing operand): exit status 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.USAGE);
    this.name = 'UsageError';
  }
}
