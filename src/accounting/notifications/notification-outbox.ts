import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Project } from '../../allocations/entities/project.entity.js';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { timeOrderedUuid } from '../../common/ids.js';
import { Notifier, type NewNotification } from '../../common/notifier.js';
import { isUuid, requireInteger } from '../../common/validation.js';
import { CONFIG, type Config } from '../../config/config.js';
import { Db } from '../../database/db.js';
import { AccessPolicy } from '../../identity/access-policy.js';
import type { Principal } from '../../identity/principal.js';
import { Notification } from './entities/notification.entity.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

/**
 * The transactional outbox: a notification and one delivery per webhook that hears of it are
 * written in the caller's transaction; once it commits, the dispatcher is nudged to send them.
 * A webhook hears of a notification when it is the project's, or its institution's (a project's
 * institution hears of the project; a site's of the site), and has not turned that kind off.
 */
@Injectable()
export class NotificationOutbox extends Notifier {
  constructor(
    private readonly db: Db,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async notify(manager: EntityManager, notification: NewNotification): Promise<void> {
    const institution = notification.institution ?? (notification.projectId ? await this.institutionOf(manager, notification.projectId) : null);
    const id = timeOrderedUuid();
    const now = this.clock.now();
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO notification (id, kind, project_id, institution, subject, details, dedupe_key, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id`,
      [id, notification.kind, notification.projectId ?? null, institution, notification.subject, notification.details, notification.dedupeKey ?? null, now],
    );
    if (inserted.length === 0) return; // told before
    await manager.query(
      `INSERT INTO webhook_delivery (notification_id, webhook_id, next_attempt_at)
       SELECT $1, w.id, $5 FROM webhook w
        WHERE w.deleted_at IS NULL AND $2 = ANY(w.kinds)
          AND (w.project_id = $3 OR w.institution = $4)`,
      [id, notification.kind, notification.projectId ?? null, institution, now],
    );
    this.db.afterCommit(manager, () => this.dispatcher.nudge());
  }

  /**
   * Deletes notifications older than SKYPOOL_NOTIFICATION_RETENTION_DAYS with their settled
   * deliveries; one with a delivery still being tried stays until it settles. Returns how many.
   */
  async prune(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.config.SKYPOOL_NOTIFICATION_RETENTION_DAYS * 86_400_000);
    return this.db.transaction(async (manager) => {
      await manager.query(
        `DELETE FROM webhook_delivery d USING notification n WHERE d.notification_id = n.id AND n.created_at < $1 AND d.state <> 'PENDING'`,
        [before],
      );
      const [, deleted]: [unknown[], number] = await manager.query(
        `DELETE FROM notification n WHERE n.created_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.notification_id = n.id)`,
        [before],
      );
      return deleted;
    });
  }

  /**
   * Recent notifications the principal may see, newest first: of the projects it may see, and of
   * the institutions it administers (their sites).
   */
  recent(principal: Principal, first: number): Promise<Notification[]> {
    requireInteger('first', first, 1, 500);
    const qb = this.db.manager.getRepository(Notification).createQueryBuilder('n').orderBy('n.id', 'DESC').take(first);
    const visible = AccessPolicy.visibleUsage(principal);
    if (visible !== 'all') {
      qb.where('(n.project_id = ANY(:ids) OR (n.project_id IS NULL AND n.institution = ANY(:sites)) OR (n.project_id IS NOT NULL AND n.institution = ANY(:institutions)))', {
        ids: visible.projectIds.filter(isUuid),
        sites: visible.siteInstitutions,
        institutions: visible.projectInstitutions,
      });
    }
    return qb.getMany();
  }

  private async institutionOf(manager: EntityManager, projectId: string): Promise<string | null> {
    const project = await manager.getRepository(Project).findOne({ select: { id: true, institution: true }, where: { id: projectId } });
    return project?.institution ?? null;
  }
}
