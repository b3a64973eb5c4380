import type { ComputeDriver, SiteConnection } from './compute-driver.js';

/** Hands out one driver per site; the EC2 driver factory is the real one. */
export interface ComputeDriverFactory {
  forSite(connection: SiteConnection): ComputeDriver;
  /** Drops a cached client, e.g. after a site's endpoint or credentials changed. */
  forget(siteKey: string): void;
}

export const COMPUTE_DRIVERS = Symbol('COMPUTE_DRIVERS');
