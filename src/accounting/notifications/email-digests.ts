import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { LOGGER } from '../../common/logging.js';
import { SerialTask } from '../../common/serial-task.js';
import { CONFIG, type Config } from '../../config/config.js';
import { Db } from '../../database/db.js';
import { PeopleDirectory, type Person } from '../../identity/people-directory.js';
import { EmailDigestCursor } from './entities/email-digest-cursor.entity.js';
import { Notification } from './entities/notification.entity.js';
import { NotificationPreferences } from './notification-preferences.service.js';

/** A notification is put in a digest once it is this old: any transaction that wrote one has committed by then. */
const SETTLE_MS = 60_000;
/** A person's first digest looks back this far. */
const FIRST_DIGEST_MS = 24 * 3_600_000;
/** At most this many lines per digest (the rest come in the next). */
const MAX_LINES = 200;

/** The notifications a person hears of: of their projects, of all projects of institutions they manage, and of the sites of institutions they administer. */
function audienceOf(person: Person): { projectIds: string[]; managedInstitutions: string[]; siteInstitutions: string[] } {
  return {
    projectIds: person.grants.flatMap((g) => (g.projectId ? [g.projectId] : [])),
    managedInstitutions: person.grants.flatMap((g) => (g.role === 'PROJECT_MANAGER' && !g.projectId && g.institution ? [g.institution] : [])),
    siteInstitutions: person.grants.flatMap((g) => (g.role === 'SITE_ADMIN' && g.institution ? [g.institution] : [])),
  };
}

/** The digest's text: one line per notification, oldest first. */
export function digestText(person: Pick<Person, 'name'>, notifications: Pick<Notification, 'createdAt' | 'kind' | 'subject'>[]): string {
  const lines = notifications.map((n) => `${n.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC  ${n.kind}  ${n.subject}`);
  return [
    `Hello${person.name ? ` ${person.name}` : ''},`,
    '',
    'What happened in the projects and sites you are part of, since the last digest:',
    '',
    ...lines,
    '',
    'To leave a kind out of these e-mails, use the setNotificationPreference mutation (kind, email: false).',
    '',
  ].join('\n');
}

/**
 * With SMTP_URL set, e-mails each person with a verified address a digest of the notifications
 * they hear of since their last one (on SKYPOOL_EMAIL_DIGEST_CRON), leaving out the kinds they
 * turned off; nothing when there is nothing new. A digest that could not be sent is tried at the
 * next run; a crash right after a send may send its lines once more.
 */
@Injectable()
export class EmailDigests implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: SerialTask;
  private readonly transport?: Transporter;
  private schedule?: ScheduledTask;

  constructor(
    private readonly db: Db,
    private readonly people: PeopleDirectory,
    private readonly preferences: NotificationPreferences,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new SerialTask(() => this.pass(), (err) => this.logger.error({ err }, 'e-mail digest pass failed'));
    if (config.SMTP_URL) this.transport = nodemailer.createTransport(config.SMTP_URL);
  }

  onApplicationBootstrap(): void {
    if (this.transport) this.schedule = cron.schedule(this.config.SKYPOOL_EMAIL_DIGEST_CRON, () => this.task.trigger(), { name: 'email-digests', noOverlap: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.schedule?.destroy();
    await this.task.stop();
    this.transport?.close();
  }

  /** One pass now (tests). */
  run(): Promise<void> {
    return this.task.trigger();
  }

  private async pass(): Promise<void> {
    if (!this.transport) return;
    const people = await this.people.withVerifiedEmail();
    const turnedOff = await this.preferences.turnedOff(people.map((p) => p.userId));
    const cursors = new Map((await this.db.manager.getRepository(EmailDigestCursor).find()).map((c) => [c.userId, c.lastNotificationId]));
    const now = this.clock.now();
    for (const person of people) {
      const fresh = await this.newFor(person, cursors.get(person.userId), now);
      if (fresh.length === 0) continue;
      // what was turned off when its digest came is passed over for good, not kept for later
      const off = turnedOff.get(person.userId) ?? new Set();
      const wanted = fresh.filter((n) => !off.has(n.kind));
      if (wanted.length > 0 && !(await this.send(this.transport, person, wanted))) continue;
      await this.db.manager.getRepository(EmailDigestCursor).upsert({ userId: person.userId, lastNotificationId: fresh.at(-1)!.id, sentAt: now }, ['userId']);
    }
  }

  private async send(transport: Transporter, person: Person, notifications: Notification[]): Promise<boolean> {
    try {
      await transport.sendMail({
        from: this.config.SKYPOOL_EMAIL_FROM,
        to: person.email,
        subject: notifications.length === 1 ? `Skypool: ${notifications[0]!.subject}` : `Skypool: ${notifications.length} notifications`,
        text: digestText(person, notifications),
      });
    } catch (err) {
      this.logger.warn({ userId: person.userId, err: String(err) }, 'could not send an e-mail digest; it is tried again at the next run');
      return false;
    }
    this.logger.info({ userId: person.userId, notifications: notifications.length }, 'e-mail digest sent');
    return true;
  }

  private newFor(person: Person, after: string | undefined, now: Date): Promise<Notification[]> {
    const audience = audienceOf(person);
    if (audience.projectIds.length + audience.managedInstitutions.length + audience.siteInstitutions.length === 0) return Promise.resolve([]);
    const qb = this.db.manager
      .getRepository(Notification)
      .createQueryBuilder('n')
      .where('n.created_at < :settled', { settled: new Date(now.getTime() - SETTLE_MS) })
      .andWhere(
        '(n.project_id = ANY(:projectIds) OR (n.project_id IS NOT NULL AND n.institution = ANY(:managed)) OR (n.project_id IS NULL AND n.institution = ANY(:sites)))',
        { projectIds: audience.projectIds, managed: audience.managedInstitutions, sites: audience.siteInstitutions },
      )
      .orderBy('n.id', 'ASC')
      .take(MAX_LINES);
    if (after) qb.andWhere('n.id > :after', { after });
    else qb.andWhere('n.created_at > :since', { since: new Date(now.getTime() - FIRST_DIGEST_MS) });
    return qb.getMany();
  }
}
