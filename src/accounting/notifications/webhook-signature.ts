import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * How a webhook delivery is signed, so its receiver knows it came from this broker and was not
 * replayed later: `Skypool-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
 * with the same timestamp (Unix seconds) in `Skypool-Timestamp`. The receiver recomputes it with
 * its webhook's secret, compares in constant time, and rejects old timestamps.
 */
export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does (the README shows it); the tests' receiver uses it. */
export function verifySignature(secret: string, timestamp: string, body: string, given: string): boolean {
  const expected = Buffer.from(signature(secret, Number(timestamp), body));
  const actual = Buffer.from(given);
  return /^\d+$/.test(timestamp) && expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A new webhook's secret: shown once when it is registered. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
