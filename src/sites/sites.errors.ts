import { DomainError } from '../common/errors.js';

/** What the sites domain refuses, by name; graphql/format-error.ts maps each to the API's code. */
export enum SitesErrorCode {
  SiteNotFound = 'SITE_NOT_FOUND',
  /** an id that cannot be a site's */
  MalformedId = 'SITE_MALFORMED_ID',
  /** a site's settings or a descriptor that do not make sense */
  InvalidSettings = 'SITE_INVALID_SETTINGS',
  /** a descriptor's site that failed its probe before `sites apply` */
  Unhealthy = 'SITE_UNHEALTHY',
  NameTaken = 'SITE_NAME_TAKEN',
  /** removal refused while instances there still hold resources */
  InUse = 'SITE_IN_USE',
}

export class SitesError extends DomainError<SitesErrorCode> {
  /** `what`: "site", or "removed site" where only a removed one will do */
  static notFound(id: string, what = 'site'): SitesError {
    return new SitesError(SitesErrorCode.SiteNotFound, `${what} ${id} does not exist`);
  }
}
