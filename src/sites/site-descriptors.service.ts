import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { BadInputError } from '../common/errors.js';
import { LOGGER } from '../common/logging.js';
import type { Principal } from '../identity/principal.js';
import { SiteEmulatorService } from '../compute/site-emulator.service.js';
import { emulatorSiteOf, type SiteDescriptor } from './site-descriptors.js';
import { SiteHealthService } from './health/site-health.service.js';
import type { SiteSpec } from './site-spec.js';
import { SitesService, type SiteChange } from './sites.service.js';

/**
 * Applies site descriptors: SKYPOOL_SITES at start, and `skypool sites apply` through the API.
 * A descriptor with `emulated: true` gets a site in the bundled emulator, with credentials the
 * broker makes once and keeps sealed.
 */
@Injectable()
export class SiteDescriptorsService {
  constructor(
    private readonly sites: SitesService,
    private readonly health: SiteHealthService,
    private readonly emulator: SiteEmulatorService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * All or nothing. Probes what was created or changed: in the background when `background`
   * (at start, where a slow site must not hold up the broker), else before returning.
   */
  async apply(principal: Principal, descriptors: SiteDescriptor[], options: { dryRun: boolean; background?: boolean }): Promise<SiteChange[]> {
    const specs = await Promise.all(descriptors.map((d) => (d.emulated ? this.emulatedSpec(d) : d.spec)));
    const changes = await this.sites.applyAll(
      principal,
      descriptors.map((d, i) => ({ spec: specs[i]!, emulated: d.emulated })),
      options,
    );
    if (options.dryRun) return changes;
    descriptors.forEach((descriptor, i) => {
      const { site, action } = changes[i]!;
      if (descriptor.emulated) this.emulator.register(emulatorSiteOf(specs[i]!, descriptor));
      this.logger.info(
        { siteId: site.id, site: site.name, file: descriptor.file, endpoint: site.endpoint, emulated: descriptor.emulated, action },
        descriptor.emulated ? `site ${site.name} is EMULATED by the bundled EC2 emulator (not a real cloud)` : `site ${site.name}: ${action} from ${descriptor.file}`,
      );
    });
    const toProbe = changes.filter((c) => c.action !== 'UNCHANGED' || c.site.health === 'UNKNOWN' || options.background).map((c) => c.site);
    const probes = Promise.all(toProbe.map((site) => this.health.probe(site)));
    if (!options.background) {
      await probes;
      const probed = new Map((await this.sites.findByIds(toProbe.map((site) => site.id))).map((site) => [site.id, site]));
      return changes.map((c) => ({ ...c, site: probed.get(c.site.id) ?? c.site }));
    }
    return changes;
  }

  private async emulatedSpec(descriptor: SiteDescriptor): Promise<SiteSpec> {
    const base = this.emulator.url;
    if (!base) throw new BadInputError('emulated', `${descriptor.file}: this broker does not serve the site emulator; emulated sites are set up at start, from SKYPOOL_SITES`);
    const name = descriptor.spec.name;
    const existing = await this.sites.findByName(name);
    const accessKeyId = `EMU${name.replace(/[^a-z0-9]/g, '').toUpperCase()}`.slice(0, 20);
    const secretAccessKey = existing?.emulated ? this.sites.storedSecret(existing) : randomBytes(30).toString('base64url');
    return { ...descriptor.spec, endpoint: `${base}/${name}`, accessKeyId, secretAccessKey };
  }
}
