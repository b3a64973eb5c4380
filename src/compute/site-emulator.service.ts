import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { CONFIG, type Config } from '../config/config.js';
import { Ec2Emulator, type EmulatedSiteSpec, type ListingAuthorizer } from './emulator/index.js';

/** Where the broker mounts the bundled EC2 emulator on its own HTTP server. */
export const EMULATOR_PATH = '/emulator';

/**
 * The bundled EC2-compatible site emulator, for descriptors that ask for it (the demo
 * federation, tests). Its instances live in the data folder, so they survive a restart.
 */
@Injectable()
export class SiteEmulatorService implements OnApplicationShutdown {
  readonly emulator: Ec2Emulator;
  /** Where the broker serves the emulator, once it does (only when SKYPOOL_SITES names emulated sites). */
  url?: string;
  /** Who may read the instance listing: set by the broker (its federation admins); until then, nobody. */
  authorizeListing: ListingAuthorizer = () => false;

  constructor(@Inject(CONFIG) config: Config, @Inject(CLOCK) clock: Clock) {
    this.emulator = new Ec2Emulator({
      clock,
      stateFile: join(config.SKYPOOL_DATA_DIR, 'emulator-state.json'),
      authorizeListing: (authorization) => this.authorizeListing(authorization),
    });
  }

  register(spec: EmulatedSiteSpec): void {
    this.emulator.upsertSite(spec);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.emulator.close();
  }
}
