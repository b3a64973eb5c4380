import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { newWebhookSecret, signature, verifySignature } from './webhook-signature.js';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"kind":"SITE_DOWN"}';

  it('is HMAC-SHA256 of "<timestamp>.<body>" under the secret, in hex', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signature(secret, 1700000000, body)).toBe(`sha256=${expected}`);
  });

  it('verifies only the same secret, timestamp and body', () => {
    const signed = signature(secret, 1700000000, body);
    expect(verifySignature(secret, '1700000000', body, signed)).toBe(true);
    expect(verifySignature('whsec_other', '1700000000', body, signed)).toBe(false);
    expect(verifySignature(secret, '1700000001', body, signed)).toBe(false);
    expect(verifySignature(secret, '1700000000', `${body} `, signed)).toBe(false);
    expect(verifySignature(secret, 'soon', body, signed)).toBe(false);
    expect(verifySignature(secret, '1700000000', body, 'sha256=00')).toBe(false);
  });

  it('makes a new, long secret each time', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
