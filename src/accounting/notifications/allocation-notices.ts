import { Inject, Injectable } from '@nestjs/common';
import { Brackets, In } from 'typeorm';
import { endedAt } from '../../allocations/allocations-in-force.js';
import { Allocation } from '../../allocations/entities/allocation.entity.js';
import { Project } from '../../allocations/entities/project.entity.js';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { Notifier, type NewNotification } from '../../common/notifier.js';
import { CONFIG, type Config } from '../../config/config.js';
import { Db } from '../../database/db.js';

const DAY_MS = 86_400_000;
/** An allocation that ended longer ago than this is not told of any more (a broker down for a month). */
const ENDED_LOOKBACK_MS = 30 * DAY_MS;

/**
 * Tells projects of allocations that end soon (SKYPOOL_ALLOCATION_WARNING_DAYS before) and of
 * those that ended: at their end, revoked, or with their budget used up. Each once: the
 * notification's key names the allocation (and, for an end to come, that end).
 */
@Injectable()
export class AllocationNotices {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async notifyAll(): Promise<void> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - ENDED_LOOKBACK_MS);
    const horizon = new Date(now.getTime() + this.config.SKYPOOL_ALLOCATION_WARNING_DAYS * DAY_MS);
    const allocations = await this.db.manager
      .getRepository(Allocation)
      .createQueryBuilder('a')
      .where(
        new Brackets((q) =>
          q
            .where('a.ends_at > :since AND a.ends_at <= :horizon', { since, horizon })
            .orWhere('a.revoked_at > :since', { since })
            .orWhere('a.exhausted_at > :since', { since }),
        ),
      )
      .getMany();
    if (allocations.length === 0) return;
    const projects = await this.db.manager.getRepository(Project).findBy({ id: In([...new Set(allocations.map((a) => a.projectId))]) });
    const names = new Map(projects.map((p) => [p.id, p.name]));
    const candidates = allocations.flatMap((a) => this.noticeOf(a, names.get(a.projectId) ?? a.projectId, now));
    // most were told on an earlier pass: only those not told yet are written (the key still guards a race)
    const told: { dedupe_key: string }[] = candidates.length === 0 ? [] : await this.db.manager.query('SELECT dedupe_key FROM notification WHERE dedupe_key = ANY($1)', [candidates.map((n) => n.dedupeKey)]);
    const toldKeys = new Set(told.map((t) => t.dedupe_key));
    const notices = candidates.filter((n) => !toldKeys.has(n.dedupeKey!));
    if (notices.length === 0) return;
    await this.db.transaction(async (manager) => {
      for (const notice of notices) await this.notifier.notify(manager, notice);
    });
  }

  private noticeOf(a: Allocation, project: string, now: Date): NewNotification[] {
    const ended = endedAt(a);
    const details = { allocationId: a.id, endsAt: a.endsAt, revokedAt: a.revokedAt, exhaustedAt: a.exhaustedAt };
    if (ended && ended <= now) {
      const at = (moment: Date | null) => moment !== null && moment.getTime() === ended.getTime();
      const how = at(a.revokedAt) ? 'was revoked' : at(a.exhaustedAt) ? 'used up its budget' : 'ended';
      return [{ kind: 'ALLOCATION_ENDED', projectId: a.projectId, subject: `project ${project}: allocation ${a.id} ${how} at ${ended.toISOString()}`, details, dedupeKey: `allocation-ended:${a.id}` }];
    }
    if (this.config.SKYPOOL_ALLOCATION_WARNING_DAYS === 0 || !a.endsAt) return [];
    const days = Math.ceil((a.endsAt.getTime() - now.getTime()) / DAY_MS);
    return [
      {
        kind: 'ALLOCATION_ENDING',
        projectId: a.projectId,
        subject: `project ${project}: allocation ${a.id} ends at ${a.endsAt.toISOString()}, in ${days} day${days === 1 ? '' : 's'}`,
        details,
        dedupeKey: `allocation-ending:${a.id}:${a.endsAt.toISOString()}`,
      },
    ];
  }
}
