import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logging.js';
import { DESCRIPTORS_PRINCIPAL, type Principal } from '../identity/principal.js';
import { SiteEmulatorService } from '../compute/site-emulator.service.js';
import { emulatorSiteOf, type SiteDescriptor } from './site-descriptors.js';
import { SiteHealthService } from './health/site-health.service.js';
import type { CallOutcome } from './health/site-health.js';
import type { Site } from './entities/site.entity.js';
import type { SiteSpec } from './site-spec.js';
import { SitesService, type SiteChange } from './sites.service.js';
import { SitesError, SitesErrorCode } from './sites.errors.js';

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
   * SKYPOOL_SITES at start. A site removed through the API whose file is still in the folder is
   * not brought back behind the admin's back: it is skipped, with a warning that says how to
   * restore it (`skypool sites restore`) or to drop the file. An emulated site that no file
   * describes any more stays in the federation (nothing is removed silently either), with a
   * warning: the emulator no longer serves it.
   */
  async applyAtStart(descriptors: SiteDescriptor[]): Promise<SiteChange[]> {
    const kept: SiteDescriptor[] = [];
    for (const descriptor of descriptors) {
      const name = descriptor.spec.name;
      const removed = (await this.sites.findByName(name)) ? null : await this.sites.findLastRemoved(name);
      if (!removed) {
        kept.push(descriptor);
        continue;
      }
      // its emulated endpoint keeps answering, with its old credentials, so a restore needs no restart
      if (descriptor.emulated) this.emulator.register(emulatorSiteOf(await this.emulatedSpec(descriptor, removed), descriptor));
      this.logger.warn(
        { siteId: removed.id, site: name, file: descriptor.file, removedAt: removed.removedAt },
        `site ${name} was removed from the federation at ${removed.removedAt!.toISOString()}, but ${descriptor.file} in SKYPOOL_SITES still describes it: it is not re-created. ` +
          `To bring it back, run \`skypool sites restore ${name}\`; to stop this warning, delete the file`,
      );
    }
    const described = new Set(descriptors.map((d) => d.spec.name));
    for (const site of await this.sites.list()) {
      if (!site.emulated || described.has(site.name)) continue;
      this.logger.warn(
        { siteId: site.id, site: site.name },
        `emulated site ${site.name} is in the federation, but no descriptor in SKYPOOL_SITES describes it, so the bundled emulator does not serve it and it will be DOWN. ` +
          `Remove it (\`skypool sites remove ${site.name}\`), or put its descriptor back in SKYPOOL_SITES`,
      );
    }
    return this.apply(DESCRIPTORS_PRINCIPAL, kept, { dryRun: false, background: true });
  }

  /**
   * Brings a removed site back (see SitesService.restore). An emulated one is served where this
   * broker serves the emulator now, which may not be where it was when it was removed.
   */
  restore(principal: Principal, id: string): Promise<Site> {
    const base = this.emulator.url;
    return this.sites.restore(principal, id, (site) => (site.emulated && base && this.emulator.emulator.hasSite(site.name) ? `${base}/${site.name}` : site.endpoint));
  }

  /**
   * All or nothing. Probes what was created or changed: in the background when `background`
   * (at start, where a slow site must not hold up the broker), else before returning.
   * With `healthyOnly` (`skypool sites apply` without --allow-unhealthy) every site is probed
   * first, and a site that cannot be reached or refuses the credentials stops the whole apply.
   */
  async apply(principal: Principal, descriptors: SiteDescriptor[], options: { dryRun: boolean; background?: boolean; healthyOnly?: boolean }): Promise<SiteChange[]> {
    const specs = await Promise.all(descriptors.map((d) => (d.emulated ? this.emulatedSpec(d) : d.spec)));
    const sites = descriptors.map((d, i) => ({ spec: specs[i]!, emulated: d.emulated, accessKeyIdReference: d.references?.accessKeyId }));
    let checked: (CallOutcome | undefined)[] = [];
    if (options.healthyOnly && !options.dryRun) {
      // the dry run checks every permission first: nobody may use the broker to call endpoints of sites they may not manage
      await this.sites.applyAll(principal, sites, { dryRun: true });
      checked = await Promise.all(sites.map(({ spec, emulated }) => (emulated ? undefined : this.health.check(spec))));
      refuseUnhealthy(descriptors, checked);
    }
    const changes = await this.sites.applyAll(principal, sites, options);
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
    // a site checked a moment ago is not called again: what the check showed is its health
    const probes = Promise.all(toProbe.map((site) => {
      const outcome = checked[changes.findIndex((c) => c.site.id === site.id)];
      return outcome ? this.health.record(site.id, outcome) : this.health.probe(site);
    }));
    if (!options.background) {
      await probes;
      const probed = new Map((await this.sites.findByIds(toProbe.map((site) => site.id))).map((site) => [site.id, site]));
      return changes.map((c) => ({ ...c, site: probed.get(c.site.id) ?? c.site }));
    }
    return changes;
  }

  /** The descriptor's site with the emulator's endpoint and the credentials the broker keeps for it (those of `stored`, else of the live site, else new). */
  private async emulatedSpec(descriptor: SiteDescriptor, stored?: Site): Promise<SiteSpec> {
    const base = this.emulator.url;
    if (!base) throw SitesError.about(SitesErrorCode.InvalidSettings, 'emulated', `${descriptor.file}: this broker does not serve the site emulator; emulated sites are set up at start, from SKYPOOL_SITES`);
    const name = descriptor.spec.name;
    const existing = stored ?? (await this.sites.findByName(name));
    const accessKeyId = `EMU${name.replace(/[^a-z0-9]/g, '').toUpperCase()}`.slice(0, 20);
    const secretAccessKey = existing?.emulated ? this.sites.storedSecret(existing) : randomBytes(30).toString('base64url');
    return { ...descriptor.spec, endpoint: `${base}/${name}`, accessKeyId, secretAccessKey };
  }
}

/**
 * The first site that failed its check, as a bad value of the descriptor (its credentials when the
 * site refused them, else its endpoint), so the CLI can point at the file and the line.
 */
function refuseUnhealthy(descriptors: SiteDescriptor[], outcomes: (CallOutcome | undefined)[]): void {
  const failed = outcomes.flatMap((outcome, i) => (outcome && !outcome.ok ? [{ i, outcome }] : []));
  if (failed.length === 0) return;
  const [{ i, outcome }] = failed as [{ i: number; outcome: Extract<CallOutcome, { ok: false }> }];
  const others = failed.slice(1).map((f) => descriptors[f.i]!.spec.name);
  const also = others.length > 0 ? `; the probe of ${others.join(', ')} failed too` : '';
  throw SitesError.about(
    SitesErrorCode.Unhealthy,
    `sites[${i}].${outcome.category === 'auth' ? 'accessKeyId' : 'endpoint'}`,
    // the caller may manage this site (checked first), so the site's own words are theirs to read
    `the probe of the site failed: ${outcome.message}${outcome.detail ? `: ${outcome.detail}` : ''}${also} (allowUnhealthy: true applies it anyway)`,
  );
}
