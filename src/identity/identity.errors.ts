import { DomainError } from '../common/errors.js';

/**
 * What the identity domain (the access policy, tokens, members) refuses, by name;
 * graphql/format-error.ts maps each to the API's code (the refusals of the access policy to FORBIDDEN).
 */
export enum IdentityErrorCode {
  /** not a federation admin, nor a site admin of the institution concerned */
  NotInstitutionAdmin = 'NOT_INSTITUTION_ADMIN',
  NotFederationAdmin = 'NOT_FEDERATION_ADMIN',
  NotProjectMember = 'NOT_PROJECT_MEMBER',
  NotProjectManager = 'NOT_PROJECT_MANAGER',
  /** a researcher acting on a request someone else submitted */
  NotRequestOwner = 'NOT_REQUEST_OWNER',
  /** what only a person may do (make tokens, change members), asked by a service account or another non-person */
  PersonRequired = 'PERSON_REQUIRED',
  /** a token or service account wider than what its maker holds */
  BeyondMakersGrants = 'BEYOND_MAKERS_GRANTS',
  NotTokenMaker = 'NOT_TOKEN_MAKER',
  TokenNotFound = 'TOKEN_NOT_FOUND',
  UserNotFound = 'USER_NOT_FOUND',
  /** a token's or a membership's settings that do not make sense */
  InvalidSettings = 'IDENTITY_INVALID_SETTINGS',
}

export class IdentityError extends DomainError<IdentityErrorCode> {
  static notFound(code: IdentityErrorCode.TokenNotFound | IdentityErrorCode.UserNotFound, id: string): IdentityError {
    return new IdentityError(code, `${code === IdentityErrorCode.TokenNotFound ? 'token' : 'user'} ${id} does not exist`);
  }
}
