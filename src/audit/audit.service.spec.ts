import { describe, expect, it } from '@jest/globals';
import { redact } from './audit.service.js';

describe('redact', () => {
  it('hides secret-looking fields at any depth and keeps the rest', () => {
    expect(redact({ name: 'umich', secretAccessKey: 'x', nested: [{ token: 't', tokenHash: 'h', vcpus: 4 }], at: new Date(0) })).toEqual({
      name: 'umich',
      secretAccessKey: '[redacted]',
      nested: [{ token: '[redacted]', tokenHash: '[redacted]', vcpus: 4 }],
      at: '1970-01-01T00:00:00.000Z',
    });
  });
});
