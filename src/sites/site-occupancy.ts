import type { EntityManager } from 'typeorm';

/**
 * What still holds resources at a site, by state. Sites do not know who places instances on
 * them: the domain that does registers this (see requests' SiteOccupancyModule).
 */
export abstract class SiteOccupancy {
  abstract holdingAt(manager: EntityManager, siteId: string): Promise<{ state: string; count: number }[]>;
}
