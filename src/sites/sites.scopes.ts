import { Injectable, type OnModuleInit } from '@nestjs/common';
import { isUuid } from '../common/validation.js';
import { ScopeLookups } from '../identity/permissions/scope-lookups.js';
import { SitesService } from './sites.service.js';
import { SitesError, SitesErrorCode } from './sites.errors.js';

/** The scope of a site (removed ones too, for restoreSite), for the permission guard: its institution. */
@Injectable()
export class SitesScopes implements OnModuleInit {
  constructor(
    private readonly lookups: ScopeLookups,
    private readonly sites: SitesService,
  ) {}

  onModuleInit(): void {
    this.lookups.provide('site', async (id, argument) => {
      if (!isUuid(id)) throw SitesError.about(SitesErrorCode.MalformedId, argument, `${JSON.stringify(id.slice(0, 60))} is not a site id`);
      const site = await this.sites.findById(id);
      return site ? { institution: site.institution } : null;
    });
  }
}
