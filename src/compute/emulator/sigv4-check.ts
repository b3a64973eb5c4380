import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { authFailure, Ec2ApiError } from './ec2-api-error.js';

/** The parts of an HTTP request that AWS Signature Version 4 covers. */
export interface SignedHttpRequest {
  method: string;
  /** The path as the client sent it (percent-encoded, before any mount prefix was stripped), without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SigningIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** AWS rejects requests signed more than 15 minutes away from its own time. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9\-;]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Checks a request's `Authorization: AWS4-HMAC-SHA256 ...` header by signing the same request
 * again with the site's secret and comparing signatures, as the real service does.
 * Throws `AuthFailure` (401) for an unknown key, a wrong secret, a wrong scope or a tampered body.
 *
 * `now` is the wall clock (for the 15-minute freshness window), not the emulator's injected clock:
 * the SDK signs with the machine's time.
 */
export async function verifySigV4(
  request: SignedHttpRequest,
  identityFor: (accessKeyId: string) => SigningIdentity | undefined,
  now: Date = new Date(),
): Promise<void> {
  const header = headerValue(request.headers, 'authorization');
  if (!header) throw authFailure('The request must contain a signature that conforms to AWS standards (AWS4-HMAC-SHA256)');
  const match = AUTHORIZATION.exec(header.trim());
  if (!match) throw authFailure('The Authorization header is not a valid AWS4-HMAC-SHA256 signature');
  const [, accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaderList, signature] = match;

  const identity = identityFor(accessKeyId);
  if (!identity) throw authFailure();
  if (scopeService !== 'ec2') throw authFailure(`Credential should be scoped to correct service: 'ec2'.`);
  if (scopeRegion !== identity.region) {
    throw authFailure(`Credential should be scoped to a valid region, not '${scopeRegion}'.`);
  }

  const amzDate = headerValue(request.headers, 'x-amz-date');
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signingDate || !amzDate?.startsWith(scopeDate)) {
    throw authFailure('The request must carry an X-Amz-Date header matching the credential scope date');
  }
  if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw new Ec2ApiError('RequestExpired', `Request has expired. Timestamp date is ${amzDate}.`);
  }

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) throw authFailure('The host header must be signed');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) throw authFailure(`The signed header '${name}' is missing from the request`);
    headers[name] = value;
  }
  // The signer trusts x-amz-content-sha256 as the payload hash, so hold it against the body first.
  const declaredPayloadHash = headers['x-amz-content-sha256'];
  if (declaredPayloadHash !== undefined && declaredPayloadHash !== sha256Hex(request.body)) {
    throw authFailure('The provided x-amz-content-sha256 header does not match what was computed');
  }

  const signer = new SignatureV4({
    service: 'ec2',
    region: identity.region,
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    sha256: NodeSha256,
    uriEscapePath: true,
  });
  const resigned = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host,
      path: safeDecodePath(request.path),
      query: queryRecord(request.query),
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(resigned.headers.authorization))?.[1] ?? '';
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    throw authFailure();
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `20260101T000000Z` -> Date. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    record[key] = values.length === 1 ? values[0] : values;
  }
  return record;
}

/** The signer escapes the path itself, so it must see the decoded path the client started from. */
function safeDecodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

type SourceData = string | ArrayBuffer | ArrayBufferView;

const toBuffer = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the Smithy signer expects. */
export class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }
  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}
