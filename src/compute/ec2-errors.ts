import { ComputeError, type ComputeErrorCategory } from './compute-driver.js';

/**
 * Turns whatever an EC2 call threw (an SDK service exception, a Node network error, a timeout)
 * into a ComputeError whose category tells the allocator and the provisioner what to do.
 */

interface CodeRule {
  category: ComputeErrorCategory;
  /** What happened, in words. */
  words: string;
}

const EXACT: Record<string, CodeRule> = {
  InsufficientInstanceCapacity: { category: 'capacity', words: 'the site has no capacity for this instance type' },
  InsufficientCapacity: { category: 'capacity', words: 'the site has no capacity left' },
  InsufficientHostCapacity: { category: 'capacity', words: 'the site has no host capacity left' },
  InsufficientAddressCapacity: { category: 'capacity', words: 'the site has no public addresses left' },
  InstanceLimitExceeded: { category: 'capacity', words: "the site's instance limit for this account is reached" },
  VcpuLimitExceeded: { category: 'capacity', words: "the site's vCPU limit for this account is reached" },

  RequestLimitExceeded: { category: 'throttling', words: 'the site is throttling requests' },
  Throttling: { category: 'throttling', words: 'the site is throttling requests' },
  ThrottlingException: { category: 'throttling', words: 'the site is throttling requests' },
  RequestThrottled: { category: 'throttling', words: 'the site is throttling requests' },
  TooManyRequestsException: { category: 'throttling', words: 'the site is throttling requests' },
  SlowDown: { category: 'throttling', words: 'the site is throttling requests' },

  InvalidParameterValue: { category: 'permanent', words: 'the site rejected a parameter value' },
  InvalidParameterCombination: { category: 'permanent', words: 'the site rejected a combination of parameters' },
  InvalidParameter: { category: 'permanent', words: 'the site rejected a parameter' },
  MissingParameter: { category: 'permanent', words: 'the request lacked a parameter the site requires' },
  Unsupported: { category: 'permanent', words: 'the site does not support this request' },
  UnsupportedOperation: { category: 'permanent', words: 'the site does not support this operation' },
  InvalidAction: { category: 'permanent', words: 'the site does not know this API action' },
  UnknownParameter: { category: 'permanent', words: 'the site does not know a parameter of the request' },
  InvalidInstanceType: { category: 'permanent', words: 'the site does not offer this instance type' },
  MissingAction: { category: 'permanent', words: 'the request named no API action' },
  IdempotentParameterMismatch: {
    category: 'permanent',
    words: 'the client token was already used with other parameters',
  },
  InvalidID: { category: 'permanent', words: 'the site rejected a resource id' },
  TagLimitExceeded: { category: 'permanent', words: 'too many tags for the resource' },

  AuthFailure: { category: 'auth', words: 'the site did not accept the credentials' },
  UnauthorizedOperation: { category: 'auth', words: 'the credentials are not allowed to do this at the site' },
  InvalidClientTokenId: { category: 'auth', words: 'the site does not know the access key' },
  SignatureDoesNotMatch: { category: 'auth', words: 'the site did not accept the request signature (wrong secret?)' },
  OptInRequired: { category: 'auth', words: 'the account is not subscribed to this service at the site' },
  Blocked: { category: 'auth', words: 'the account is blocked at the site' },
  AccessDenied: { category: 'auth', words: 'the site denied access' },

  RequestExpired: { category: 'transient', words: 'the request expired before the site saw it (clock skew?)' },
  InternalError: { category: 'transient', words: 'the site reported an internal error' },
  Unavailable: { category: 'transient', words: 'the site is temporarily unavailable' },
  ServiceUnavailable: { category: 'transient', words: 'the site is temporarily unavailable' },
};

const PREFIXES: Array<[string, CodeRule]> = [
  ['InvalidAMIID.', { category: 'permanent', words: 'the site does not have this image' }],
  ['InvalidInstanceID.', { category: 'permanent', words: 'the site does not know an instance id' }],
  ['InvalidGroup.', { category: 'permanent', words: 'the site does not know a security group of the site settings' }],
  ['InvalidSubnetID.', { category: 'permanent', words: 'the site does not know the subnet of the site settings' }],
  ['InvalidKeyPair.', { category: 'permanent', words: 'the site does not know the key pair of the site settings' }],
];

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'the site refused the connection',
  ECONNRESET: 'the site closed the connection',
  EPIPE: 'the connection to the site broke',
  ENOTFOUND: "the site's host name does not resolve",
  EAI_AGAIN: "the site's host name could not be resolved right now",
  EHOSTUNREACH: 'the site is unreachable',
  ENETUNREACH: 'the network to the site is unreachable',
  ECONNABORTED: 'the connection to the site was aborted',
  UND_ERR_SOCKET: 'the connection to the site broke',
};

/** Site messages are kept short; a message is never allowed to carry more than this. */
const MAX_SITE_MESSAGE = 300;

export interface ComputeErrorContext {
  /** e.g. the site's name, for the message. */
  site?: string;
  /** e.g. RunInstances, for the message. */
  operation?: string;
}

export function toComputeError(err: unknown, context: ComputeErrorContext = {}): ComputeError {
  if (err instanceof ComputeError) return err;
  const where = describeWhere(context);
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    code?: unknown;
    Code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: number };
    $fault?: unknown;
    cause?: unknown;
  };
  const status = e.$metadata?.httpStatusCode;
  const isServiceError = typeof status === 'number' && status > 0;
  // the site chooses its error code too: only something shaped like a code is repeated
  const siteCode = [firstString(e.Code, isServiceError ? e.name : undefined)].find((code) => code !== undefined && ERROR_CODE.test(code));

  // The SDK could not read the reply: a body that is not XML, or an older EC2 dialect (an element
  // repeated, e.g. "xml deserializer unhandled schema type for InstanceId"). With a success status
  // the call reached the site and may well have done its work: the outcome is unknown ('malformed'),
  // which is not the site failing.
  const success = isServiceError && status >= 200 && status < 300;
  if (isServiceError && (success || isUnreadableReply(e.message))) {
    const what = /XML parse error/i.test(String(e.message)) ? 'a body that is not EC2 XML' : 'EC2 XML that the broker cannot read';
    return new ComputeError(success ? 'malformed' : 'transient', 'MALFORMED_REPLY', `${where}the site answered HTTP ${status} with ${what}`, [], parserProblem(e.message));
  }
  if (isServiceError && siteCode && siteCode !== 'Error') {
    const rule = EXACT[siteCode] ?? PREFIXES.find(([prefix]) => siteCode.startsWith(prefix))?.[1] ?? ruleForStatus(status);
    // Auth messages are left out: some services echo parts of the signed request in them.
    const detail = rule.category === 'auth' ? undefined : siteMessage(e.message);
    return new ComputeError(rule.category, siteCode, `${where}${rule.words} (${siteCode}, HTTP ${status})`, [], detail);
  }
  if (isServiceError) {
    const rule = ruleForStatus(status);
    return new ComputeError(rule.category, `HTTP_${status}`, `${where}${rule.words} (HTTP ${status})`);
  }

  const systemCode = firstString(e.code, errCode(e.cause), codeInMessage(e.message), e.name);
  if (systemCode && TIMEOUT_CODES.has(systemCode)) {
    return new ComputeError('transient', 'TIMEOUT', `${where}the site did not answer in time (${systemCode})`);
  }
  if (systemCode && Object.hasOwn(NETWORK_WORDS, systemCode)) {
    return new ComputeError('transient', 'NETWORK', `${where}${NETWORK_WORDS[systemCode]} (${systemCode})`);
  }
  if (e.name === 'AbortError') {
    return new ComputeError('transient', 'ABORTED', `${where}the call to the site was aborted`);
  }
  const message = typeof e.message === 'string' ? e.message : String(err);
  return new ComputeError(
    'transient',
    systemCode && /^[A-Z][A-Z0-9_]+$/.test(systemCode) ? systemCode : 'UNKNOWN',
    `${where}the call to the site failed unexpectedly`,
    [],
    siteMessage(message),
  );
}

/** An EC2 error code: `InvalidAMIID.NotFound`, `HTTP_500`; never free text. */
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9_.]{0,79}$/;

/**
 * The SDK could not read the site's answer (not XML, or XML of another shape): its message is
 * about the SDK ("inspect the hidden field {error}.$response"), not about the site.
 */
function isUnreadableReply(message: unknown): boolean {
  return typeof message === 'string' && /Deserialization error|XML parse error|deserializer/i.test(message);
}

function ruleForStatus(status: number | undefined): CodeRule {
  if (status === 429) return { category: 'throttling', words: 'the site is throttling requests' };
  if (status === 401 || status === 403) return { category: 'auth', words: 'the site refused the request as unauthorised' };
  if (status !== undefined && status >= 500) return { category: 'transient', words: 'the site failed to handle the request' };
  return { category: 'transient', words: 'the site answered with an error the broker does not know' };
}

function describeWhere({ site, operation }: ComputeErrorContext): string {
  if (site && operation) return `${operation} at site ${site}: `;
  if (site) return `site ${site}: `;
  if (operation) return `${operation}: `;
  return '';
}

/** What the SDK's parser said, for admins: its first line, without the SDK's own wording (its module name, its hint to inspect a hidden field). */
function parserProblem(message: unknown): string | undefined {
  if (typeof message !== 'string') return undefined;
  const problem = message
    .split('\n')[0]!
    .replace(/^@aws-sdk\S*( - )?\s*/, '')
    .replace(/^xml deserializer /, '')
    .trim();
  return problem === '' ? undefined : siteMessage(problem);
}

/** A site's message on one line, cut to MAX_SITE_MESSAGE characters, with anything like a credential taken out. */
function siteMessage(message: unknown): string | undefined {
  if (typeof message !== 'string' || message.trim() === '' || message === 'UnknownError' || message === 'Unknown') return undefined;
  const oneLine = message.replace(/\s+/g, ' ').trim();
  const short = oneLine.length > MAX_SITE_MESSAGE ? `${oneLine.slice(0, MAX_SITE_MESSAGE)}...` : oneLine;
  return redact(short);
}

/** Belt and braces: nothing shaped like an AWS access key or a signature leaves here. */
function redact(text: string): string {
  return text
    .replace(/\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g, '[access key]')
    .replace(/Signature=[0-9a-f]{64}/gi, 'Signature=[redacted]')
    .replace(/Credential=[^,\s]+/gi, 'Credential=[redacted]');
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value !== '');
}

/**
 * A Node error code named only in the text: the SDK wraps errors it does not recognise as its
 * realm's Error ("AWS SDK error wrapper for Error: connect ECONNREFUSED ..."), which happens
 * e.g. under Jest's VM modules, and the code property is lost.
 */
function codeInMessage(message: unknown): string | undefined {
  if (typeof message !== 'string') return undefined;
  return [...TIMEOUT_CODES, ...Object.keys(NETWORK_WORDS)].find((code) => new RegExp(`\\b${code}\\b`).test(message));
}

function errCode(cause: unknown): unknown {
  return typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
}
