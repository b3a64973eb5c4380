import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { Notifier } from '../common/notifier.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';

/** Leases due for a notice: running, ending within the warning time, not yet warned of this end. */
const DUE = `state = 'RUNNING' AND lease_warned_at IS NULL AND lease_ends_at > $1 AND lease_ends_at <= $2`;

/**
 * Warns of leases about to end: a LEASE_ENDING notice in the request's history (and so to its
 * subscribers), once per lease end; extendLease clears the mark, so a new end is warned of again.
 */
@Injectable()
export class LeaseNotices {
  constructor(
    private readonly db: Db,
    private readonly lifecycle: RequestLifecycle,
    private readonly notifier: Notifier,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Gives the notices due now; returns how many. Each in a short transaction of its own. */
  async warnEndingLeases(): Promise<number> {
    const minutes = this.config.SKYPOOL_LEASE_WARNING_MINUTES;
    if (minutes === 0) return 0;
    const now = this.clock.now();
    const horizon = new Date(now.getTime() + minutes * 60_000);
    const due: { id: string }[] = await this.db.manager.query(`SELECT id FROM resource_request WHERE ${DUE} ORDER BY lease_ends_at`, [now, horizon]);
    let warned = 0;
    for (const { id } of due) {
      try {
        if (await this.warn(id, now, horizon)) warned++;
      } catch (err) {
        this.logger.warn({ requestId: id, err: String(err) }, 'could not give a lease-ending notice; will try again');
      }
    }
    return warned;
  }

  /** False when the request changed meanwhile, or another broker process is warning of it. */
  private warn(id: string, now: Date, horizon: Date): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      const [locked]: { id: string }[] = await manager.query(`SELECT id FROM resource_request WHERE id = $3 AND ${DUE} FOR UPDATE SKIP LOCKED`, [now, horizon, id]);
      if (!locked) return false;
      const request = await manager.getRepository(ResourceRequest).findOneByOrFail({ id });
      const endsAt = request.leaseEndsAt!;
      const inMinutes = Math.ceil((endsAt.getTime() - now.getTime()) / 60_000);
      const reason = `lease ends at ${endsAt.toISOString()}, in ${inMinutes} minutes; extendLease to keep it`;
      await this.lifecycle.notice(manager, request, 'LEASE_ENDING', reason);
      await this.notifier.notify(manager, {
        kind: 'LEASE_ENDING',
        projectId: request.projectId,
        subject: `request ${request.id}: ${reason}`,
        details: { requestId: request.id, leaseEndsAt: endsAt.toISOString(), submittedBy: request.submittedBy, tags: request.tags },
        dedupeKey: `lease-ending:${request.id}:${endsAt.toISOString()}`,
      });
      await manager.getRepository(ResourceRequest).update(id, { leaseWarnedAt: now });
      return true;
    });
  }
}
