import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logging.js';
import { DESCRIPTORS_PRINCIPAL } from '../identity/principal.js';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../compute/compute.tokens.js';
import { SiteEmulatorService } from '../compute/site-emulator.service.js';
import type { SiteDescriptor } from './site-descriptors.js';
import { SiteHealthProbe } from './site-health.probe.js';
import { SitesService } from './sites.service.js';

/**
 * Applies site descriptors (SKYPOOL_SITES at start). A descriptor with `emulated: true` gets a
 * site in the bundled emulator, with credentials the broker makes once and keeps sealed.
 */
@Injectable()
export class SiteDescriptorsService {
  constructor(
    private readonly sites: SitesService,
    private readonly probe: SiteHealthProbe,
    private readonly emulator: SiteEmulatorService,
    @Inject(COMPUTE_DRIVERS) private readonly drivers: ComputeDriverFactory,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `emulatorUrl`: where the broker serves the emulator, e.g. http://127.0.0.1:4000/emulator */
  async apply(descriptors: SiteDescriptor[], emulatorUrl: string): Promise<void> {
    for (const descriptor of descriptors) {
      const spec = descriptor.emulated ? await this.emulatedSpec(descriptor, emulatorUrl) : descriptor.spec;
      const { site, created } = await this.sites.apply(DESCRIPTORS_PRINCIPAL, spec, descriptor.emulated);
      this.drivers.forget(site.id); // endpoint or credentials may have changed
      this.logger.info(
        { siteId: site.id, site: site.name, file: descriptor.file, endpoint: site.endpoint, emulated: descriptor.emulated },
        descriptor.emulated ? `site ${site.name} is EMULATED by the bundled EC2 emulator (not a real cloud)` : `site ${site.name} ${created ? 'registered' : 'updated'} from its descriptor`,
      );
    }
    // probes run in the background: a slow or unreachable site must not hold up the start
    const all = await this.sites.list();
    void Promise.all(all.map((site) => this.probe.probe(site)));
  }

  private async emulatedSpec(descriptor: SiteDescriptor, emulatorUrl: string) {
    const name = descriptor.spec.name;
    const existing = await this.sites.findByName(name);
    const accessKeyId = `EMU${name.replace(/[^a-z0-9]/g, '').toUpperCase()}`.slice(0, 20);
    const secretAccessKey = existing?.emulated ? this.sites.storedSecret(existing) : randomBytes(30).toString('base64url');
    const spec = { ...descriptor.spec, endpoint: `${emulatorUrl}/${name}`, accessKeyId, secretAccessKey };
    this.emulator.register({
      name,
      region: spec.region,
      accessKeyId,
      secretAccessKey,
      instanceTypes: spec.instanceTypes.map((t) => ({ name: t.name, vcpus: t.vcpus, memoryMiB: t.memoryMiB, gpus: t.gpus ?? 0 })),
      images: spec.images.map((m) => ({ imageId: m.imageId, name: m.image })),
      capacity: { vcpus: spec.capacity.vcpus, memoryMiB: spec.capacity.memoryMiB, gpus: spec.capacity.gpus ?? 0, instances: spec.capacity.instances ?? undefined },
    });
    return spec;
  }
}
