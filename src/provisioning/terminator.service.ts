import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { In, IsNull, Not } from 'typeorm';
import { LOGGER } from '../common/logging.js';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../compute/compute.tokens.js';
import { Db } from '../database/db.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';
import { Site } from '../sites/entities/site.entity.js';
import { SitesService } from '../sites/sites.service.js';
import { RequestSettlement } from './request-settlement.js';

/**
 * Ends TERMINATING instances: TerminateInstances at their sites (the reconciler confirms what
 * ended); rows that never got a site instance are ended at once.
 */
@Injectable()
export class TerminatorService {
  constructor(
    private readonly db: Db,
    private readonly sites: SitesService,
    private readonly lifecycle: RequestLifecycle,
    private readonly settlement: RequestSettlement,
    @Inject(COMPUTE_DRIVERS) private readonly drivers: ComputeDriverFactory,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Returns whether resources were released and whether anything was sent to a site. */
  async terminateAll(): Promise<{ released: boolean; sent: boolean }> {
    const repo = this.db.manager.getRepository(Instance);
    const neverStarted = await repo.find({ where: { state: 'TERMINATING', siteInstanceId: IsNull() } });
    let released = false;
    if (neverStarted.length > 0) {
      released = await this.db.transaction(async (manager) => {
        const rows = await manager.getRepository(Instance).find({ where: { id: In(neverStarted.map((r) => r.id)), state: 'TERMINATING', siteInstanceId: IsNull() }, lock: { mode: 'pessimistic_write' } });
        for (const row of rows) await this.lifecycle.moveInstance(manager, row, 'TERMINATED', { endedAt: new Date() }, 'never started at the site');
        let any = false;
        for (const requestId of new Set(rows.map((r) => r.requestId))) any = (await this.settlement.settle(manager, requestId)).released || any;
        return any || rows.length > 0;
      });
    }
    const started = await repo.find({ where: { state: 'TERMINATING', siteInstanceId: Not(IsNull()) } });
    const bySite = new Map<string, string[]>();
    for (const row of started) bySite.set(row.siteId, [...(bySite.get(row.siteId) ?? []), row.siteInstanceId!]);
    const sent = await Promise.all(
      [...bySite].map(async ([siteId, ids]) => {
        const site = await this.db.manager.getRepository(Site).findOneByOrFail({ id: siteId });
        try {
          await this.drivers.forSite(this.sites.connectionOf(site)).terminateInstances(ids);
          this.logger.info({ siteId, site: site.name, siteInstanceIds: ids }, 'TerminateInstances sent');
        } catch (err) {
          this.logger.warn({ siteId, site: site.name, err: String(err) }, 'TerminateInstances failed; will retry');
          return false;
        }
        return true;
      }),
    );
    return { released, sent: sent.some(Boolean) };
  }
}
