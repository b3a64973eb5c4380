import { Inject, Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { Project } from '../../allocations/entities/project.entity.js';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { timeOrderedUuid } from '../../common/ids.js';
import { Notifier, type NewNotification } from '../../common/notifier.js';
import { isUuid, requireInteger } from '../../common/validation.js';
import { CONFIG, type Config } from '../../config/config.js';
import { Db } from '../../database/db.js';
import { runPrepared, type PreparedStatement } from '../../database/prepared.js';
import { AccessPolicy } from '../../identity/access-policy.js';
import type { Principal } from '../../identity/principal.js';
import { Notification } from './entities/notification.entity.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

/**
 * Notifications ($1 ids ... $7 dedupe keys, created at $8), each with one delivery per webhook that
 * hears of it (see NotificationOutbox); one whose dedupe key was given before is left out.
 */
const INSERT_NOTIFICATIONS: PreparedStatement = {
  name: 'insert_notifications',
  text: `WITH given AS (
           INSERT INTO notification (id, kind, project_id, institution, subject, details, dedupe_key, created_at)
           SELECT n.*, $8::timestamptz FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[], $7::text[]) AS n
           ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
           RETURNING id, kind, project_id, institution),
         delivered AS (
           INSERT INTO webhook_delivery (notification_id, webhook_id, next_attempt_at)
           SELECT given.id, w.id, $8::timestamptz FROM given JOIN webhook w
               ON w.deleted_at IS NULL AND given.kind = ANY(w.kinds) AND (w.project_id = given.project_id OR w.institution = given.institution))
         SELECT count(*)::int AS given FROM given`,
};

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

  notify(manager: EntityManager, notification: NewNotification): Promise<void> {
    return this.notifyMany(manager, [notification]);
  }

  async notifyMany(manager: EntityManager, notifications: NewNotification[]): Promise<void> {
    if (notifications.length === 0) return;
    const institutionOf = await this.institutionsOf(manager, notifications.flatMap((n) => (n.institution === undefined && n.projectId ? [n.projectId] : [])));
    const rows = notifications.map((n) => ({ ...n, id: timeOrderedUuid(), institution: n.institution ?? (n.projectId ? (institutionOf.get(n.projectId) ?? null) : null) }));
    const column = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((r) => r[key] ?? null);
    // a notification whose key was given before is not given again, nor delivered
    const [{ given }] = await runPrepared<{ given: number }>(manager, INSERT_NOTIFICATIONS, [
      column('id'), column('kind'), column('projectId'), column('institution'), column('subject'),
      rows.map((r) => JSON.stringify(r.details)), column('dedupeKey'), this.clock.now(),
    ]);
    if (given > 0) this.db.afterCommit(manager, () => this.dispatcher.nudge());
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

  private async institutionsOf(manager: EntityManager, projectIds: string[]): Promise<Map<string, string>> {
    if (projectIds.length === 0) return new Map();
    const projects = await manager.getRepository(Project).find({ select: { id: true, institution: true }, where: { id: In([...new Set(projectIds)]) } });
    return new Map(projects.map((p) => [p.id, p.institution]));
  }
}
