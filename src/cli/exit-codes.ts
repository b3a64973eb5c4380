/** The `skypool` command's exit statuses, pinned in the API contract ("Command line"). */
export const ExitCode = {
  OK: 0,
  /** the broker refused, or a request ended FAILED, CANCELLED or EXPIRED while waited on for another state */
  REFUSED: 1,
  /** the command line itself is wrong: an unknown command or flag, a missing or extra operand */
  USAGE: 2,
  /** the broker cannot be reached, or does not accept the token */
  UNREACHABLE: 3,
  /** `wait` or `--wait` gave up after `--timeout` */
  TIMED_OUT: 4,
} as const;
