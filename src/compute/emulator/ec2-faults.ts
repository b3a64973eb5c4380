import { Ec2ApiError } from './ec2-api-error.js';

/**
 * Faults an emulated site can be told to show, so tests can see how a client copes with a cloud
 * that misbehaves. They apply to authenticated EC2 calls only. The counters (`failNext`,
 * `unavailableBurst`, `dropReplyAfterCreate`) count down as calls use them up.
 */
export interface EmulatedFaults {
  /**
   * The EC2 actions the faults apply to; default all. `dropReplyAfterCreate`, `stuckPending` and
   * `malformedRunReply` are about RunInstances whatever this says.
   */
  actions?: string[];
  /** Wait this long (real time) before answering. */
  latencyMs?: number;
  /** Wait up to this much longer still, drawn at random per call, as a real cloud's answers vary (e.g. 20 + 0-60 ms). */
  latencyJitterMs?: number;
  /** The share (0..1) of calls that fail with `errorCode`. */
  errorRate?: number;
  /** Default `InternalError`. */
  errorCode?: string;
  /** The next `count` calls fail with `code` (default `InternalError`), then calls succeed again. */
  failNext?: { count: number; code?: string };
  /** The next N calls answer HTTP 503 `Unavailable`. */
  unavailableBurst?: number;
  /** The next N successful RunInstances launch their instances, then the reply is lost: the connection closes without one. */
  dropReplyAfterCreate?: number;
  /** Instances launched while this is set stay `pending` for ever (unsetting it does not mend them). */
  stuckPending?: boolean;
  /**
   * RunInstances answers as an EC2-compatible cloud of an older dialect did: HTTP 200, the
   * instances started and tagged, but each instance item names its instanceId twice, which the
   * AWS SDK refuses to parse.
   */
  malformedRunReply?: boolean;
  /** The site is unreachable: every connection is closed at once, without an answer. */
  down?: boolean;
}

/** What the faults make of one call before its action runs. */
export interface FaultVerdict {
  /** Close the connection without answering. */
  drop: boolean;
  latencyMs: number;
  /** Answer this instead of running the action. */
  error?: Ec2ApiError;
}

/**
 * EC2's HTTP status and wording for the codes a fault is likely to name. EC2 answers client errors
 * with 400 and server errors with 500 or 503.
 */
const KNOWN_ERRORS: Record<string, { status: number; message: string }> = {
  InternalError: { status: 500, message: 'An internal error has occurred' },
  InternalFailure: {
    status: 500,
    message: 'The request processing has failed because of an unknown error, exception or failure.',
  },
  Unavailable: { status: 503, message: "The server is overloaded and can't handle the request." },
  ServiceUnavailable: { status: 503, message: 'The request has failed due to a temporary failure of the server.' },
  RequestLimitExceeded: { status: 503, message: 'Request limit exceeded.' },
  // EC2 lists the capacity codes as server errors; what it sends on the wire for them is 500.
  InsufficientInstanceCapacity: {
    status: 500,
    message:
      'We currently do not have sufficient capacity in the Availability Zone you requested. ' +
      'Our system will be working on provisioning additional capacity.',
  },
  InsufficientCapacity: { status: 500, message: 'There is not enough capacity to fulfill your request.' },
  InsufficientAddressCapacity: { status: 500, message: 'Not enough available addresses to satisfy your minimum request.' },
  AuthFailure: { status: 401, message: 'AWS was not able to validate the provided access credentials' },
  UnauthorizedOperation: { status: 403, message: 'You are not authorized to perform this operation.' },
};

/** The error a fault answers with: as EC2 sends that code, or else as a client error (400). */
export function faultError(code: string): Ec2ApiError {
  if (!Object.hasOwn(KNOWN_ERRORS, code)) {
    return new Ec2ApiError(code, `The emulated site was told to fail this request with ${code}`);
  }
  const { status, message } = KNOWN_ERRORS[code];
  return new Ec2ApiError(code, message, status);
}

/** The faults of one site, and what is left of their counters. */
export class SiteFaults {
  private faults: EmulatedFaults = {};

  constructor(faults: EmulatedFaults = {}) {
    this.replace(faults);
  }

  replace(faults: EmulatedFaults): void {
    validate(faults);
    this.faults = structuredClone(faults);
  }

  /** The faults in force; used-up counters are gone. */
  current(): EmulatedFaults {
    return structuredClone(this.faults);
  }

  get stuckPending(): boolean {
    return this.faults.stuckPending === true;
  }

  /** Decides the fate of one call as it arrives, using up a counter when one applies. */
  before(action: string, random: () => number): FaultVerdict {
    const faults = this.faults;
    if (faults.actions && !faults.actions.includes(action)) return { drop: false, latencyMs: 0 };
    if (faults.down) return { drop: true, latencyMs: 0 };
    const jitterMs = faults.latencyJitterMs ? Math.round(random() * faults.latencyJitterMs) : 0;
    const verdict: FaultVerdict = { drop: false, latencyMs: (faults.latencyMs ?? 0) + jitterMs };
    // One error per call: a burst first, then failNext, then the error rate.
    if (faults.unavailableBurst) {
      faults.unavailableBurst -= 1;
      if (faults.unavailableBurst === 0) delete faults.unavailableBurst;
      verdict.error = faultError('Unavailable');
    } else if (faults.failNext && faults.failNext.count > 0) {
      faults.failNext.count -= 1;
      verdict.error = faultError(faults.failNext.code ?? 'InternalError');
      if (faults.failNext.count === 0) delete faults.failNext;
    } else if (faults.errorRate && random() < faults.errorRate) {
      verdict.error = faultError(faults.errorCode ?? 'InternalError');
    }
    return verdict;
  }

  /** A successful call's reply as the site sends it: malformed, for RunInstances under `malformedRunReply`. */
  reply(action: string, body: string): string {
    if (action !== 'RunInstances' || !this.faults.malformedRunReply) return body;
    return body.replace(/<item><instanceId>([^<]*)<\/instanceId>/g, '<item><instanceId>$1</instanceId><instanceId>$1</instanceId>');
  }

  /** After a successful call: whether its reply is lost (using up one `dropReplyAfterCreate`). */
  dropReply(action: string): boolean {
    if (action !== 'RunInstances' || !this.faults.dropReplyAfterCreate) return false;
    this.faults.dropReplyAfterCreate -= 1;
    if (this.faults.dropReplyAfterCreate === 0) delete this.faults.dropReplyAfterCreate;
    return true;
  }
}

/** Faults come from test code and site descriptors: a wrong value should fail loudly, not be ignored. */
function validate(faults: EmulatedFaults): void {
  const count = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new Error(`emulated fault ${name} must be a whole number of at least 0, not ${value}`);
    }
  };
  for (const name of ['latencyMs', 'latencyJitterMs'] as const) {
    const value = faults[name];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new Error(`emulated fault ${name} must be a number of milliseconds of at least 0, not ${value}`);
  }
  if (faults.errorRate !== undefined && !(faults.errorRate >= 0 && faults.errorRate <= 1)) {
    throw new Error(`emulated fault errorRate must be from 0 to 1, not ${faults.errorRate}`);
  }
  for (const flag of ['stuckPending', 'malformedRunReply', 'down'] as const) {
    if (faults[flag] !== undefined && typeof faults[flag] !== 'boolean') throw new Error(`emulated fault ${flag} must be true or false, not ${String(faults[flag])}`);
  }
  count('failNext.count', faults.failNext?.count);
  count('unavailableBurst', faults.unavailableBurst);
  count('dropReplyAfterCreate', faults.dropReplyAfterCreate);
}
