import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { IsNull, Not } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { groupBy } from '../common/group-by.js';
import { LOGGER } from '../common/logging.js';
import { COMPUTE_DRIVERS, type ComputeDriverFactory } from '../compute/compute.tokens.js';
import { Db } from '../database/db.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';
import { lockInstancesOf, lockRequest } from '../requests/request-locks.js';
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
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Returns whether resources were released and whether anything was sent to a site. */
  async terminateAll(): Promise<{ released: boolean; sent: boolean }> {
    const repo = this.db.manager.getRepository(Instance);
    const neverStarted = await repo.find({ where: { state: 'TERMINATING', siteInstanceId: IsNull() }, select: { id: true, requestId: true } });
    let released = false;
    // one short transaction per request: its row is locked before its instances, as everywhere
    for (const requestId of new Set(neverStarted.map((r) => r.requestId))) {
      const ended = await this.db.transaction(async (manager) => {
        const request = await lockRequest(manager, requestId);
        if (!request) return false;
        const rows = await lockInstancesOf(manager, request, { state: 'TERMINATING', siteInstanceId: IsNull() });
        for (const row of rows) await this.lifecycle.moveInstance(manager, row, 'TERMINATED', { endedAt: this.clock.now() }, 'never started at the site');
        if (rows.length === 0) return false;
        await this.settlement.settle(manager, requestId);
        return true; // what they held is free again
      });
      released ||= ended;
    }
    const started = await repo.find({ where: { state: 'TERMINATING', siteInstanceId: Not(IsNull()) } });
    const sent = await Promise.all(
      [...groupBy(started, (row) => row.siteId)].map(async ([siteId, rows]) => {
        const ids = rows.map((row) => row.siteInstanceId!);
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
