/** The database could not be reached or opened at start; the message says which and why. */
export class DatabaseUnavailableError extends Error {
  constructor(which: string, cause: unknown) {
    super(`cannot open ${which}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DatabaseUnavailableError';
  }
}
