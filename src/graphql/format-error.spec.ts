import { describe, expect, it } from '@jest/globals';
import { GraphQLError } from 'graphql';
import pino from 'pino';
import { DomainError } from '../common/errors.js';
import { IdentityError, IdentityErrorCode } from '../identity/identity.errors.js';
import { RequestsError, RequestsErrorCode } from '../requests/requests.errors.js';
import { SitesError } from '../sites/sites.errors.js';
import { createErrorFormatter } from './format-error.js';

const format = createErrorFormatter(pino({ level: 'silent' }), { hideSuggestions: false });
/** What a client sees for an error a resolver threw. */
const seen = (error: Error) => format({ message: error.message, path: ['op'] }, new GraphQLError(error.message, { originalError: error, path: ['op'] }));

describe('the one mapping of domain errors to the API codes', () => {
  it("gives each domain's codes the API code the contract pins, and keeps the field", () => {
    expect(seen(RequestsError.notFound('r-1'))).toEqual({ message: 'request r-1 does not exist', path: ['op'], extensions: { code: 'NOT_FOUND' } });
    expect(seen(RequestsError.about(RequestsErrorCode.LeaseTooLong, 'hours', 'too long')).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'hours' });
    expect(seen(new IdentityError(IdentityErrorCode.NotProjectMember, 'you are not a member of that project')).extensions).toEqual({ code: 'FORBIDDEN' });
    expect(seen(SitesError.notFound('s-1', 'removed site')).message).toBe('removed site s-1 does not exist');
  });

  it('treats a code no domain declares as a bug: an opaque internal error', () => {
    const formatted = seen(new DomainError('MADE_UP', 'secret detail'));
    expect(formatted.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(formatted.message).not.toContain('secret detail');
  });
});
