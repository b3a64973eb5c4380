import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In } from 'typeorm';
import { ConflictError } from '../common/errors.js';
import { LOGGER } from '../common/logging.js';
import { AuditService } from '../audit/audit.service.js';
import { Db, isUniqueViolation } from '../database/db.js';
import type { Principal } from '../identity/principal.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../database/deployment.service.js';
import type { SiteConnection } from '../compute/compute-driver.js';
import { Site, type SiteHealth } from './entities/site.entity.js';
import type { SiteView } from './dto/site.types.js';
import { instanceTypesOf, type SiteSpec, validateSiteSpec } from './site-spec.js';

export function toSiteView(site: Site): SiteView {
  return {
    id: site.id,
    name: site.name,
    institution: site.institution,
    endpoint: site.endpoint,
    region: site.region,
    health: site.health,
    capacity: { vcpus: site.capacityVcpus, memoryMiB: site.capacityMemoryMib, gpus: site.capacityGpus, instances: site.capacityInstances },
    instanceTypes: site.instanceTypes,
    images: site.images,
    homeShare: site.homeShare,
    emulated: site.emulated,
  };
}

/** The site registry. Credentials are sealed before they are stored and never returned. */
@Injectable()
export class SitesService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    @Inject(DEPLOYMENT) private readonly deployment: DeploymentIdentity,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private columnsOf(spec: SiteSpec, emulated: boolean): Partial<Site> {
    return {
      name: spec.name,
      institution: spec.institution,
      endpoint: spec.endpoint,
      region: spec.region,
      accessKeyId: spec.accessKeyId,
      secretAccessKeySealed: this.deployment.secrets.seal(spec.secretAccessKey),
      capacityVcpus: spec.capacity.vcpus,
      capacityMemoryMib: spec.capacity.memoryMiB,
      capacityGpus: spec.capacity.gpus ?? 0,
      capacityInstances: spec.capacity.instances ?? null,
      instanceTypes: instanceTypesOf(spec),
      images: spec.images.map((m) => ({ image: m.image, imageId: m.imageId })),
      homeShare: spec.homeShare ?? 0,
      emulated,
    };
  }

  async register(principal: Principal, spec: SiteSpec): Promise<Site> {
    validateSiteSpec(spec);
    let site: Site;
    try {
      site = await this.db.transaction(async (manager) => {
        const repo = manager.getRepository(Site);
        const saved = await repo.save(repo.create(this.columnsOf(spec, false)));
        await this.audit.record(manager, principal, { action: 'site.register', targetType: 'site', targetId: saved.id, after: toSiteView(saved) });
        return saved;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`name: a site named ${spec.name} is already registered`);
      throw err;
    }
    this.logger.info({ siteId: site.id, site: site.name, institution: site.institution }, 'site registered');
    return site;
  }

  /** Creates or updates a site by name (descriptors are applied this way, at every start). */
  async apply(principal: Principal, spec: SiteSpec, emulated: boolean): Promise<{ site: Site; created: boolean }> {
    validateSiteSpec(spec);
    return this.db.transaction(async (manager) => {
      const repo = manager.getRepository(Site);
      const existing = await repo.findOne({ where: { name: spec.name }, lock: { mode: 'pessimistic_write' } });
      if (!existing) {
        const site = await repo.save(repo.create(this.columnsOf(spec, emulated)));
        await this.audit.record(manager, principal, { action: 'site.register', targetType: 'site', targetId: site.id, after: toSiteView(site) });
        return { site, created: true };
      }
      await repo.update(existing.id, this.columnsOf(spec, emulated));
      const site = await repo.findOneByOrFail({ id: existing.id });
      const before = toSiteView(existing);
      const after = toSiteView(site);
      const changed = JSON.stringify({ ...before, health: null }) !== JSON.stringify({ ...after, health: null }) || existing.accessKeyId !== site.accessKeyId;
      if (changed) await this.audit.record(manager, principal, { action: 'site.update', targetType: 'site', targetId: site.id, before, after });
      return { site, created: false };
    });
  }

  list(): Promise<Site[]> {
    return this.db.manager.getRepository(Site).find({ order: { name: 'ASC' } });
  }

  findById(id: string): Promise<Site | null> {
    return this.db.manager.getRepository(Site).findOneBy({ id });
  }

  findByIds(ids: readonly string[]): Promise<Site[]> {
    return this.db.manager.getRepository(Site).findBy({ id: In([...ids]) });
  }

  findByName(name: string): Promise<Site | null> {
    return this.db.manager.getRepository(Site).findOneBy({ name });
  }

  /** The stored secret of an emulated site, so a restart keeps the same credentials. */
  storedSecret(site: Site): string {
    return this.deployment.secrets.open(site.secretAccessKeySealed);
  }

  connectionOf(site: Site): SiteConnection {
    return {
      siteKey: site.id,
      endpoint: site.endpoint,
      region: site.region,
      accessKeyId: site.accessKeyId,
      secretAccessKey: this.deployment.secrets.open(site.secretAccessKeySealed),
    };
  }

  async setHealth(site: Site, health: SiteHealth, detail?: string): Promise<void> {
    if (site.health === health) return;
    await this.db.manager.getRepository(Site).update(site.id, { health });
    this.logger.info({ siteId: site.id, site: site.name, from: site.health, to: health, detail }, 'site health changed');
    site.health = health;
  }
}
