import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { LOGGER } from '../common/logging.js';
import { Notifier } from '../common/notifier.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { entityFromRow, runPrepared, type PreparedStatement } from '../database/prepared.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { RequestLifecycle } from '../requests/request-lifecycle.js';

/** Leases due for a notice: running, ending within the warning time, not yet warned of this end. */
const DUE = `state = 'RUNNING' AND lease_warned_at IS NULL AND lease_ends_at > $1 AND lease_ends_at <= $2`;

/** Leases warned of in one transaction at most. */
const NOTICES_PER_TRANSACTION = 100;

/** Those of the requests $3 still due at $1 (horizon $2), locked unless another transaction holds them. */
const LOCK_DUE: PreparedStatement = { name: 'lock_due_lease_notices', text: `SELECT * FROM resource_request WHERE id = ANY($3::uuid[]) AND ${DUE} ORDER BY id FOR UPDATE SKIP LOCKED` };

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

  /**
   * Gives the notices due now; returns how many. In short transactions of up to
   * NOTICES_PER_TRANSACTION requests (leases that started together come due together); when one
   * fails, its requests are warned of one by one, so one that cannot be does not hold back the rest.
   */
  async warnEndingLeases(): Promise<number> {
    const minutes = this.config.SKYPOOL_LEASE_WARNING_MINUTES;
    if (minutes === 0) return 0;
    const now = this.clock.now();
    const horizon = new Date(now.getTime() + minutes * 60_000);
    const due: { id: string }[] = await this.db.manager.query(`SELECT id FROM resource_request WHERE ${DUE} ORDER BY lease_ends_at`, [now, horizon]);
    let warned = 0;
    for (let i = 0; i < due.length; i += NOTICES_PER_TRANSACTION) {
      const ids = due.slice(i, i + NOTICES_PER_TRANSACTION).map((d) => d.id);
      try {
        warned += await this.warn(ids, now, horizon);
      } catch {
        for (const id of ids) {
          try {
            warned += await this.warn([id], now, horizon);
          } catch (err) {
            this.logger.warn({ requestId: id, err: String(err) }, 'could not give a lease-ending notice; will try again');
          }
        }
      }
    }
    return warned;
  }

  /** Warns of those of the requests still due that no other broker process is warning of; returns how many. */
  private warn(ids: string[], now: Date, horizon: Date): Promise<number> {
    return this.db.transaction(async (manager) => {
      const metadata = manager.connection.getMetadata(ResourceRequest);
      const requests = (await runPrepared(manager, LOCK_DUE, [now, horizon, ids])).map((row) => entityFromRow<ResourceRequest>(metadata, row));
      if (requests.length === 0) return 0;
      const notices = requests.map((request) => {
        const endsAt = request.leaseEndsAt!;
        const inMinutes = Math.ceil((endsAt.getTime() - now.getTime()) / 60_000);
        return { request, endsAt, reason: `lease ends at ${endsAt.toISOString()}, in ${inMinutes} minutes; extendLease to keep it` };
      });
      await this.lifecycle.notices(manager, notices.map(({ request, reason }) => ({ request, kind: 'LEASE_ENDING', reason })));
      await this.notifier.notifyMany(
        manager,
        notices.map(({ request, endsAt, reason }) => ({
          kind: 'LEASE_ENDING',
          projectId: request.projectId,
          subject: `request ${request.id}: ${reason}`,
          details: { requestId: request.id, leaseEndsAt: endsAt.toISOString(), submittedBy: request.submittedBy, tags: request.tags },
          dedupeKey: `lease-ending:${request.id}:${endsAt.toISOString()}`,
        })),
      );
      await manager.query('UPDATE resource_request SET lease_warned_at = $1, updated_at = now() WHERE id = ANY($2::uuid[])', [now, requests.map((r) => r.id)]);
      return requests.length;
    });
  }
}
