import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, IsNull, Not, type EntityManager } from 'typeorm';
import { DomainError, fieldMessage } from '../common/errors.js';
import { LOGGER } from '../common/logging.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { AuditService } from '../audit/audit.service.js';
import { holdAllocatorLock } from '../database/allocator-lock.js';
import { Db, isUniqueViolation } from '../database/db.js';
import type { Principal } from '../identity/principal.js';
import { AccessPolicy } from '../identity/access-policy.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../database/deployment.service.js';
import type { SiteConnection } from '../compute/compute-driver.js';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../compute/compute.tokens.js';
import { Site } from './entities/site.entity.js';
import { SiteOccupancy } from './site-occupancy.js';
import { instanceTypesOf, networkOf, type SiteSpec, validateSiteSpec } from './site-spec.js';
import { siteLifecycle, siteLifecycleOf } from './site-lifecycle.js';
import { SitesError, SitesErrorCode } from './sites.errors.js';

/** A site to create or update by name, as a descriptor gives it. */
export interface SiteToApply {
  spec: SiteSpec;
  emulated: boolean;
  /** The `env:`/`file:` reference the access key id was read from: the audit log keeps it instead of the value. */
  accessKeyIdReference?: string;
}

export type SiteChangeAction = 'CREATE' | 'UPDATE' | 'UNCHANGED';

/** What applying a descriptor does (or would do, in a dry run): the changed fields, never their secret values. */
export interface SiteChange {
  name: string;
  action: SiteChangeAction;
  fields: string[];
  site: Site;
}

/** Everything a site admin may change with updateSite: all but the name. */
export type SitePatch = Partial<Omit<SiteSpec, 'name'>>;

/** The fields compared to tell what an apply changes, as stored. */
function settingsOf(site: Partial<Site>): Record<string, unknown> {
  return {
    institution: site.institution,
    endpoint: site.endpoint,
    region: site.region,
    accessKeyId: site.accessKeyId,
    capacity: [site.capacityVcpus, site.capacityMemoryMib, site.capacityGpus, site.capacityInstances],
    instanceTypes: site.instanceTypes,
    images: site.images,
    homeShare: site.homeShare,
    lendsHomeShare: site.lendsHomeShare,
    availabilityZones: site.availabilityZones,
    labels: site.labels,
    network: site.network,
    tagMode: site.tagMode,
    emulated: site.emulated,
  };
}

/** JSON with sorted keys: PostgreSQL's jsonb does not keep the order keys were written in. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** Changes a probe must confirm at once: where the site is and how the broker signs in there. */
const PROBED_FIELDS = new Set(['endpoint', 'region', 'accessKeyId', 'secretAccessKey', 'availabilityZones']);

/** Whether an update that changed these fields needs a probe before the site is trusted again. */
export function needsProbe(fields: readonly string[]): boolean {
  return fields.some((f) => PROBED_FIELDS.has(f));
}

/** How long a list of the live sites serves checks that a recent list serves as well as the latest (see recentLiveSites). */
const RECENT_SITES_MS = 5000;

/** The site registry. Credentials are sealed before they are stored and never returned. */
@Injectable()
export class SitesService {
  /** The live sites as read last, for recentLiveSites; dropped when this process changes a site. */
  private recent?: { readAt: number; sites: Promise<Site[]> };

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly occupancy: SiteOccupancy,
    @Inject(DEPLOYMENT) private readonly deployment: DeploymentIdentity,
    @Inject(COMPUTE_DRIVERS) private readonly drivers: ComputeDriverFactory,
    @Inject(CLOCK) private readonly clock: Clock,
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
      lendsHomeShare: spec.lendsHomeShare ?? false,
      availabilityZones: [...(spec.availabilityZones ?? [])],
      labels: { ...(spec.labels ?? {}) },
      network: networkOf(spec),
      tagMode: spec.tagMode ?? 'ON_CREATE',
      emulated,
    };
  }

  /** The spec a stored site was made from (with its secret opened), for partial updates. */
  private specOf(site: Site): SiteSpec {
    return {
      name: site.name,
      institution: site.institution,
      endpoint: site.endpoint,
      region: site.region,
      accessKeyId: site.accessKeyId,
      secretAccessKey: this.storedSecret(site),
      capacity: { vcpus: site.capacityVcpus, memoryMiB: site.capacityMemoryMib, gpus: site.capacityGpus, instances: site.capacityInstances },
      instanceTypes: site.instanceTypes,
      images: site.images,
      homeShare: site.homeShare,
      lendsHomeShare: site.lendsHomeShare,
      availabilityZones: site.availabilityZones,
      labels: site.labels,
      network: site.network,
      tagMode: site.tagMode,
    };
  }

  async register(principal: Principal, spec: SiteSpec): Promise<Site> {
    validateSiteSpec(spec);
    const site = await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(Site);
      const saved = await this.insertNamed(manager, spec.name, () => repo.save(repo.create(this.columnsOf(spec, false))));
      await this.audit.record(manager, principal, { action: 'site.register', targetType: 'site', targetId: saved.id, after: siteAuditView(saved) });
      return saved;
    });
    this.changed();
    this.logger.info({ siteId: site.id, site: site.name, institution: site.institution }, 'site registered');
    return site;
  }

  /**
   * Creates or updates sites by name, all or none, checking the principal may manage each.
   * A dry run works out the same changes and writes nothing.
   */
  async applyAll(principal: Principal, sites: SiteToApply[], options: { dryRun: boolean }): Promise<SiteChange[]> {
    sites.forEach(({ spec }, i) => {
      try {
        validateSiteSpec(spec);
      } catch (err) {
        throw aboutItem(`sites[${i}]`, err);
      }
    });
    const names = sites.map(({ spec }) => spec.name);
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice) throw SitesError.about(SitesErrorCode.InvalidSettings, 'sites', `name ${twice} is given twice`);

    const changes = await this.db.transaction(async (manager) => {
      const result: SiteChange[] = [];
      for (const [i, site] of sites.entries()) {
        try {
          result.push(await this.applyOne(manager, principal, site, options));
        } catch (err) {
          throw aboutItem(`sites[${i}]`, err);
        }
      }
      return result;
    });
    if (!options.dryRun) this.changed();
    if (!options.dryRun) for (const change of changes) if (change.action === 'UPDATE') this.drivers.forget(change.site.id);
    return changes;
  }

  private async applyOne(manager: EntityManager, principal: Principal, { spec, emulated, accessKeyIdReference }: SiteToApply, options: { dryRun: boolean }): Promise<SiteChange> {
    const repo = manager.getRepository(Site);
    AccessPolicy.assertCanManageSites(principal, spec.institution);
    const existing = await repo.findOne({ where: { name: spec.name, removedAt: IsNull() }, lock: { mode: 'for_no_key_update' } });
    if (existing) AccessPolicy.assertCanManageSites(principal, existing.institution);
    const columns = this.columnsOf(spec, emulated);
    if (!existing) {
      const site = options.dryRun ? repo.create(columns) : await this.insertNamed(manager, spec.name, () => repo.save(repo.create(columns)));
      if (!options.dryRun) await this.audit.record(manager, principal, { action: 'site.register', targetType: 'site', targetId: site.id, after: siteAuditView(site, accessKeyIdReference) });
      return { name: spec.name, action: 'CREATE', fields: [], site };
    }
    const fields = this.changedFields(existing, columns, spec.secretAccessKey);
    if (fields.length === 0 || options.dryRun) return { name: spec.name, action: fields.length === 0 ? 'UNCHANGED' : 'UPDATE', fields, site: existing };
    return { name: spec.name, action: 'UPDATE', fields, site: await this.write(manager, principal, existing, columns, fields, accessKeyIdReference) };
  }

  /** Changes some of a site's settings; the rest stay. The secret is replaced only when given. */
  async update(principal: Principal, id: string, patch: SitePatch): Promise<{ site: Site; fields: string[] }> {
    const result = await this.db.transaction(async (manager) => {
      const existing = await this.lockLive(manager, id);
      AccessPolicy.assertCanManageSites(principal, existing.institution);
      if (patch.institution != null) AccessPolicy.assertCanManageSites(principal, patch.institution);
      const current = this.specOf(existing);
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined && v !== null));
      const spec: SiteSpec = { ...current, ...defined, capacity: { ...current.capacity, ...(patch.capacity ?? {}) } };
      validateSiteSpec(spec);
      const columns = this.columnsOf(spec, existing.emulated);
      const fields = this.changedFields(existing, columns, spec.secretAccessKey);
      if (fields.length === 0) return { site: existing, fields };
      return { site: await this.write(manager, principal, existing, columns, fields), fields };
    });
    this.changed();
    this.drivers.forget(result.site.id);
    return result;
  }

  /** No new placements at the site; what runs there finishes its lease. */
  drain(principal: Principal, id: string): Promise<Site> {
    return this.setDraining(principal, id, true);
  }

  /** Takes placements again after a drain. */
  resume(principal: Principal, id: string): Promise<Site> {
    return this.setDraining(principal, id, false);
  }

  private async setDraining(principal: Principal, id: string, draining: boolean): Promise<Site> {
    const site = await this.db.transaction(async (manager) => {
      const existing = await this.lockLive(manager, id);
      AccessPolicy.assertCanManageSites(principal, existing.institution);
      if ((existing.drainingSince !== null) === draining) return existing;
      siteLifecycle.assertTransition(siteLifecycleOf(existing), draining ? 'DRAINING' : 'ACTIVE');
      // a cycle deciding right now would not see the drain; wait for it
      await holdAllocatorLock(manager);
      const drainingSince = draining ? this.clock.now() : null;
      await manager.getRepository(Site).update(existing.id, { drainingSince });
      await this.audit.record(manager, principal, {
        action: draining ? 'site.drain' : 'site.resume',
        targetType: 'site',
        targetId: existing.id,
        before: { drainingSince: existing.drainingSince },
        after: { drainingSince },
      });
      return { ...existing, drainingSince };
    });
    this.changed();
    this.logger.info({ siteId: site.id, site: site.name, draining }, draining ? 'site draining: no new placements' : 'site takes placements again');
    return site;
  }

  /** Takes a site out of the federation; refused while instances there hold resources. Its history stays. */
  async remove(principal: Principal, id: string): Promise<Site> {
    const site = await this.db.transaction(async (manager) => {
      const existing = await this.lockLive(manager, id);
      AccessPolicy.assertCanManageSites(principal, existing.institution);
      // no cycle may place anything there while the check below holds
      await holdAllocatorLock(manager);
      const rows = await this.occupancy.holdingAt(manager, existing.id);
      if (rows.length > 0) {
        const total = rows.reduce((sum, r) => sum + r.count, 0);
        const states = rows.map((r) => `${r.count} ${r.state}`).join(', ');
        throw new SitesError(
          SitesErrorCode.InUse,
          `site ${existing.name} still has ${total} instance${total === 1 ? '' : 's'} (${states}); drain it and let their leases end, or cancel their requests, then remove it`,
        );
      }
      siteLifecycle.assertTransition(siteLifecycleOf(existing), 'REMOVED');
      const removedAt = this.clock.now();
      await manager.getRepository(Site).update(existing.id, { removedAt });
      await this.audit.record(manager, principal, { action: 'site.remove', targetType: 'site', targetId: existing.id, before: siteAuditView(existing) });
      return { ...existing, removedAt };
    });
    this.changed();
    this.drivers.forget(site.id);
    this.logger.info({ siteId: site.id, site: site.name }, 'site removed from the federation');
    return site;
  }

  /**
   * Brings a removed site back into the federation as it was (settings, credentials, history),
   * e.g. one removed by mistake; refused while another site has its name.
   */
  async restore(principal: Principal, id: string, endpointOf: (site: Site) => string = (site) => site.endpoint): Promise<Site> {
    const site = await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(Site);
      const removed = await repo.findOne({ where: { id, removedAt: Not(IsNull()) }, lock: { mode: 'for_no_key_update' } });
      if (!removed) throw SitesError.notFound(id, 'removed site');
      AccessPolicy.assertCanManageSites(principal, removed.institution);
      if (await repo.findOneBy({ name: removed.name, removedAt: IsNull() })) {
        throw new SitesError(SitesErrorCode.NameTaken, `name: a site named ${removed.name} is in the federation; remove it first to restore this one`);
      }
      const endpoint = endpointOf(removed);
      siteLifecycle.assertTransition(siteLifecycleOf(removed), siteLifecycleOf({ ...removed, removedAt: null }));
      await this.insertNamed(manager, removed.name, async () => {
        await repo.update(removed.id, { removedAt: null, endpoint });
        return removed;
      });
      const restored = { ...removed, removedAt: null, endpoint };
      await this.audit.record(manager, principal, { action: 'site.restore', targetType: 'site', targetId: removed.id, before: { removedAt: removed.removedAt }, after: siteAuditView(restored) });
      return restored;
    });
    this.changed();
    this.logger.info({ siteId: site.id, site: site.name }, 'site restored to the federation');
    return site;
  }

  /** The sites in the federation (and, if asked, the removed ones too). */
  /**
   * The live sites as read at most a few seconds ago, or just after this process changed one: for
   * checks that must not read every site on every call and that a recent list serves as well,
   * such as whether any site could ever serve a submission, where a refusal is confirmed on the
   * sites as they are now (see RequestsService.submit). Another broker process's change shows
   * within RECENT_SITES_MS.
   */
  recentLiveSites(): Promise<Site[]> {
    const now = performance.now();
    if (!this.recent || now - this.recent.readAt > RECENT_SITES_MS) {
      const sites = this.list();
      this.recent = { readAt: now, sites };
      sites.catch(() => {
        if (this.recent?.sites === sites) this.recent = undefined; // the next call reads again
      });
    }
    return this.recent.sites;
  }

  /** This process changed a site: the next recentLiveSites reads them again. */
  private changed(): void {
    this.recent = undefined;
  }

  list(options: { includeRemoved?: boolean } = {}): Promise<Site[]> {
    return this.db.manager.getRepository(Site).find({ where: options.includeRemoved ? {} : { removedAt: IsNull() }, order: { name: 'ASC', createdAt: 'ASC' } });
  }

  findById(id: string): Promise<Site | null> {
    return this.db.manager.getRepository(Site).findOneBy({ id });
  }

  findByIds(ids: readonly string[]): Promise<Site[]> {
    return this.db.manager.getRepository(Site).findBy({ id: In([...ids]) });
  }

  /** The site of that name removed last, e.g. to tell why a descriptor's site is not re-created. */
  findLastRemoved(name: string): Promise<Site | null> {
    return this.db.manager.getRepository(Site).findOne({ where: { name, removedAt: Not(IsNull()) }, order: { removedAt: 'DESC' } });
  }

  /** The live site of that name (removed sites free their names). */
  findByName(name: string): Promise<Site | null> {
    return this.db.manager.getRepository(Site).findOneBy({ name, removedAt: IsNull() });
  }

  /** The stored secret, e.g. so an emulated site keeps the same credentials across restarts. */
  storedSecret(site: Site): string {
    return this.deployment.secrets.open(site.secretAccessKeySealed);
  }

  connectionOf(site: Site): SiteConnection {
    return {
      siteKey: site.id,
      siteName: site.name,
      endpoint: site.endpoint,
      region: site.region,
      accessKeyId: site.accessKeyId,
      secretAccessKey: this.storedSecret(site),
    };
  }

  private async lockLive(manager: EntityManager, id: string): Promise<Site> {
    const site = await manager.getRepository(Site).findOne({ where: { id, removedAt: IsNull() }, lock: { mode: 'for_no_key_update' } });
    if (!site) throw SitesError.notFound(id);
    return site;
  }

  private async insertNamed(manager: EntityManager, name: string, insert: () => Promise<Site>): Promise<Site> {
    // a savepoint, so that a taken name is a clear CONFLICT and not an aborted transaction
    try {
      return await manager.transaction(insert);
    } catch (err) {
      if (isUniqueViolation(err)) throw new SitesError(SitesErrorCode.NameTaken, `name: a site named ${name} is already registered`);
      throw err;
    }
  }

  private changedFields(existing: Site, columns: Partial<Site>, secret: string): string[] {
    const before = settingsOf(existing);
    const after = settingsOf(columns);
    const fields = Object.keys(after).filter((key) => stable(before[key]) !== stable(after[key]));
    if (this.storedSecret(existing) !== secret) fields.push('secretAccessKey');
    return fields;
  }

  private async write(manager: EntityManager, principal: Principal, existing: Site, columns: Partial<Site>, fields: string[], accessKeyIdReference?: string): Promise<Site> {
    const repo = manager.getRepository(Site);
    await repo.update(existing.id, columns);
    const site = await repo.findOneByOrFail({ id: existing.id });
    await this.audit.record(manager, principal, {
      action: 'site.update',
      targetType: 'site',
      targetId: site.id,
      before: siteAuditView(existing),
      after: { ...siteAuditView(site, accessKeyIdReference), changed: fields },
    });
    this.logger.info({ siteId: site.id, site: site.name, changed: fields }, 'site updated');
    return site;
  }
}

/**
 * What the audit log keeps of a site: its settings, never its credentials. The access key id is
 * shown as the reference it was read from (`env:SKYPOOL_SITE_UMICH_KEY`), when there was one.
 */
function siteAuditView(site: Site, accessKeyIdReference?: string): Record<string, unknown> {
  return { id: site.id, name: site.name, ...settingsOf(site), accessKeyId: accessKeyIdReference ?? '[redacted]' };
}

/**
 * The error, naming the list item it is about: `sites[2].capacity.vcpus` for a bad setting, or
 * `sites[2]` for an error about the item as a whole (e.g. FORBIDDEN), so a client can tell which one.
 */
function aboutItem(prefix: string, err: unknown): unknown {
  if (!(err instanceof DomainError)) return err;
  if (!err.field) return new DomainError(err.code, err.message, prefix);
  const field = `${prefix}.${err.field}`;
  return new DomainError(err.code, err.message.startsWith(`${err.field}: `) ? fieldMessage(field, err.message.slice(err.field.length + 2)) : err.message, field);
}
