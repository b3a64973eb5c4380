import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { In } from 'typeorm';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { LOGGER } from '../../common/logging.js';
import { SerialTask } from '../../common/serial-task.js';
import { CONFIG, type Config } from '../../config/config.js';
import { Db } from '../../database/db.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../../database/deployment.service.js';
import { Notification } from './entities/notification.entity.js';
import { Webhook } from './entities/webhook.entity.js';
import { privateAddressOf } from './webhook-address.js';
import { signature } from './webhook-signature.js';

/** Deliveries claimed at once; each batch is sent in parallel. */
const BATCH = 20;
/** A receiver has this long to answer. */
const SEND_TIMEOUT_MS = 10_000;
/** A claim outlives a send; after a crash another broker process sends the delivery again then. */
const CLAIM_MS = 60_000;
const MAX_BACKOFF_MS = 3_600_000;

interface Claimed {
  id: string;
  notification_id: string;
  webhook_id: string;
  /** this attempt's number */
  attempts: number;
}

type Outcome = { delivered: true } | { delivered: false; error: string };

/** What a webhook receives: the notification, as JSON. */
export function webhookBody(n: Notification): string {
  return JSON.stringify({ id: n.id, kind: n.kind, at: n.createdAt.toISOString(), subject: n.subject, projectId: n.projectId, institution: n.institution, details: n.details });
}

/**
 * Sends webhook deliveries that are due: claimed under row locks (so several broker processes
 * share the work and none sends one twice while its claim holds), POSTed outside any transaction,
 * then marked DELIVERED on a 2xx answer, or tried again with exponential backoff, up to
 * SKYPOOL_WEBHOOK_MAX_ATTEMPTS. A crash between the send and the mark sends it once more: the
 * receiver knows a repeat by its Skypool-Event-Id.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: SerialTask;
  private schedule?: ScheduledTask;

  constructor(
    private readonly db: Db,
    @Inject(DEPLOYMENT) private readonly deployment: DeploymentIdentity,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new SerialTask(() => this.pass(), (err) => this.logger.error({ err }, 'webhook pass failed'));
  }

  onApplicationBootstrap(): void {
    this.schedule = cron.schedule(this.config.SKYPOOL_WEBHOOK_CRON, () => this.task.trigger(), { name: 'webhooks', noOverlap: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.schedule?.destroy();
    await this.task.stop();
  }

  /** Sends what is due soon (after a notification commits). */
  nudge(): void {
    void this.task.trigger();
  }

  /** One pass now, until nothing is due (tests, and the operations API). */
  run(): Promise<void> {
    return this.task.trigger();
  }

  private async pass(): Promise<void> {
    for (;;) {
      const claimed = await this.claim();
      if (claimed.rows.length === 0) return;
      // the batch's notifications and webhooks in two queries, not two per delivery
      const notifications = new Map((await this.db.manager.getRepository(Notification).findBy({ id: In(claimed.rows.map((d) => d.notification_id)) })).map((n) => [n.id, n]));
      const webhooks = new Map((await this.db.manager.getRepository(Webhook).findBy({ id: In(claimed.rows.map((d) => d.webhook_id)) })).map((w) => [w.id, w]));
      await Promise.all(claimed.rows.map((delivery) => this.deliver(delivery, notifications.get(delivery.notification_id)!, webhooks.get(delivery.webhook_id)!, claimed.until)));
      if (claimed.rows.length < BATCH) return;
    }
  }

  private async claim(): Promise<{ rows: Claimed[]; until: Date }> {
    const now = this.clock.now();
    const until = new Date(now.getTime() + CLAIM_MS);
    // an attempt counts from its claim: one cut short by a crash counts too
    const [rows]: [Claimed[], number] = await this.db.manager.query(
      `UPDATE webhook_delivery SET claimed_until = $2, attempts = attempts + 1
        WHERE id IN (SELECT id FROM webhook_delivery
                      WHERE state = 'PENDING' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
                      ORDER BY next_attempt_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
        RETURNING id, notification_id, webhook_id, attempts`,
      [now, until],
    );
    return { rows, until };
  }

  private async deliver(delivery: Claimed, notification: Notification, webhook: Webhook, claimedUntil: Date): Promise<void> {
    const attempts = delivery.attempts;
    const outcome: Outcome = webhook.deletedAt ? { delivered: false, error: 'the webhook was deleted' } : await this.send(webhook, notification, attempts);
    const now = this.clock.now();
    const giveUp = !outcome.delivered && (webhook.deletedAt !== null || attempts >= this.config.SKYPOOL_WEBHOOK_MAX_ATTEMPTS);
    const patch = outcome.delivered
      ? { state: 'DELIVERED', delivered_at: now, last_error: null, next_attempt_at: now }
      : { state: giveUp ? 'FAILED' : 'PENDING', delivered_at: null, last_error: outcome.error, next_attempt_at: new Date(now.getTime() + this.backoffMs(attempts)) };
    // only while the claim is still ours: after it ran out another process may have sent it
    await this.db.manager.query(
      `UPDATE webhook_delivery SET state = $3, delivered_at = $4, last_error = $5, next_attempt_at = $6, claimed_until = NULL
        WHERE id = $1 AND claimed_until = $2`,
      [delivery.id, claimedUntil, patch.state, patch.delivered_at, patch.last_error, patch.next_attempt_at],
    );
    const fields = { webhookId: webhook.id, notificationId: notification.id, kind: notification.kind, attempts };
    if (outcome.delivered) this.logger.debug(fields, 'webhook delivered');
    else if (giveUp) this.logger.warn({ ...fields, error: outcome.error }, 'webhook delivery given up');
    else this.logger.info({ ...fields, error: outcome.error }, 'webhook delivery failed; will try again');
  }

  private async send(webhook: Webhook, notification: Notification, attempt: number): Promise<Outcome> {
    const refusal = await this.refusal(webhook.url);
    if (refusal) return { delivered: false, error: refusal };
    const body = webhookBody(notification);
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    try {
      const res = await fetch(webhook.url, {
        method: 'POST',
        // a redirect is an answer, not a place to send the notification (and its signature) to
        redirect: 'manual',
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Skypool-Webhooks/1',
          'skypool-event-id': notification.id,
          'skypool-event-kind': notification.kind,
          'skypool-delivery-attempt': String(attempt),
          'skypool-timestamp': String(timestamp),
          'skypool-signature': signature(this.deployment.secrets.open(webhook.secretSealed), timestamp, body),
        },
        body,
      });
      await res.body?.cancel();
      return res.ok ? { delivered: true } : { delivered: false, error: `the receiver answered HTTP ${res.status}` };
    } catch (err) {
      const cause = (err as Error).cause as Error | undefined;
      return { delivered: false, error: `could not reach the receiver: ${cause?.message ?? (err as Error).message}` };
    }
  }

  /** Why the URL may not be sent to now (its host resolves to a private address, or not at all), or null. */
  private async refusal(url: string): Promise<string | null> {
    if (this.config.SKYPOOL_WEBHOOK_ALLOW_PRIVATE) return null;
    try {
      const address = await privateAddressOf(url);
      return address ? `refused: the receiver's host resolves to ${address}, a private address (SKYPOOL_WEBHOOK_ALLOW_PRIVATE is not set)` : null;
    } catch (err) {
      return `could not resolve the receiver's host: ${(err as Error).message}`;
    }
  }

  /** base x 2^(attempts - 1), up to an hour, and up to a tenth more so retries of many deliveries spread out. */
  private backoffMs(attempts: number): number {
    const base = Math.min(this.config.SKYPOOL_WEBHOOK_RETRY_SECONDS * 1000 * 2 ** (attempts - 1), MAX_BACKOFF_MS);
    return Math.round(base * (1 + Math.random() * 0.1));
  }
}

