import { Inject, Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { ProjectsService } from '../../allocations/projects.service.js';
import type { Clock } from '../../common/clock.js';
import { CLOCK } from '../../common/clock.provider.js';
import { NOTIFICATION_KINDS, type NotificationKind } from '../../common/notifier.js';
import { isUuid, requireName, requireUrl } from '../../common/validation.js';
import { CONFIG, type Config } from '../../config/config.js';
import { Db } from '../../database/db.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../../database/deployment.service.js';
import { AccessPolicy } from '../../identity/access-policy.js';
import type { Principal } from '../../identity/principal.js';
import { AccountingError, AccountingErrorCode } from '../accounting.errors.js';
import type { RegisterWebhookInput, WebhookView } from './dto/notification.types.js';
import { Webhook } from './entities/webhook.entity.js';
import { privateAddressOf } from './webhook-address.js';
import { newWebhookSecret } from './webhook-signature.js';

export function toWebhookView(w: Webhook): WebhookView {
  return { id: w.id, projectId: w.projectId, institution: w.institution, url: w.url, kinds: w.kinds, createdAt: w.createdAt };
}

/** Webhooks of projects (their managers register them) and of institutions (their site admins do). */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly db: Db,
    private readonly projects: ProjectsService,
    @Inject(DEPLOYMENT) private readonly deployment: DeploymentIdentity,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A new webhook and its secret (shown only now). */
  async register(principal: Principal, input: RegisterWebhookInput): Promise<{ webhook: Webhook; secret: string }> {
    const hasProject = input.projectId !== null && input.projectId !== undefined;
    const hasInstitution = input.institution !== null && input.institution !== undefined;
    if (hasProject === hasInstitution) throw AccountingError.about(AccountingErrorCode.InvalidWebhook, 'projectId', 'give a project or an institution, not both');
    requireUrl('url', input.url);
    if (hasInstitution) requireName('institution', input.institution!);
    // who may first: a caller who may not register one makes the broker resolve no host
    await this.assertMayManage(principal, { projectId: input.projectId ?? null, institution: input.institution ?? null });
    await this.assertReachable(input.url);
    const kinds = input.kinds && input.kinds.length > 0 ? [...new Set(input.kinds)] : [...NOTIFICATION_KINDS];
    const secret = newWebhookSecret();
    const webhook = await this.db.manager.getRepository(Webhook).save({
      projectId: input.projectId ?? null,
      institution: input.institution ?? null,
      url: input.url,
      secretSealed: this.deployment.secrets.seal(secret),
      kinds,
      createdBy: principal.id,
      deletedAt: null,
    });
    return { webhook, secret };
  }

  /** Turns kinds on and off: the webhook is sent exactly these. */
  async setKinds(principal: Principal, id: string, kinds: NotificationKind[]): Promise<Webhook> {
    const webhook = await this.get(principal, id);
    if (kinds.length === 0) throw AccountingError.about(AccountingErrorCode.InvalidWebhook, 'kinds', 'give at least one kind, or delete the webhook');
    webhook.kinds = [...new Set(kinds)];
    return this.db.manager.getRepository(Webhook).save(webhook);
  }

  /** No more deliveries; those still pending are given up. Deleting it again changes nothing. */
  async delete(principal: Principal, id: string): Promise<Webhook> {
    const webhook = await this.get(principal, id);
    if (!webhook.deletedAt) {
      webhook.deletedAt = this.clock.now();
      await this.db.manager.getRepository(Webhook).update(webhook.id, { deletedAt: webhook.deletedAt });
    }
    return webhook;
  }

  /** The live webhooks of a project or an institution the caller may manage. */
  async list(principal: Principal, scope: { projectId: string | null; institution: string | null }): Promise<Webhook[]> {
    await this.assertMayManage(principal, scope);
    const where = scope.projectId ? { projectId: scope.projectId, deletedAt: IsNull() } : { institution: scope.institution!, deletedAt: IsNull() };
    return this.db.manager.getRepository(Webhook).find({ where, order: { createdAt: 'ASC' } });
  }

  /** Unless SKYPOOL_WEBHOOK_ALLOW_PRIVATE, a URL into this machine or a private network is refused (the dispatcher checks again at each send). */
  private async assertReachable(url: string): Promise<void> {
    if (this.config.SKYPOOL_WEBHOOK_ALLOW_PRIVATE) return;
    let address: string | null;
    try {
      address = await privateAddressOf(url);
    } catch {
      throw AccountingError.about(AccountingErrorCode.InvalidWebhook, 'url', `the host of ${url} does not resolve`);
    }
    if (address) throw AccountingError.about(AccountingErrorCode.InvalidWebhook, 'url', `reaches ${address}, a loopback, private or link-local address; the operator allows those with SKYPOOL_WEBHOOK_ALLOW_PRIVATE=true`);
  }

  private async get(principal: Principal, id: string): Promise<Webhook> {
    const webhook = isUuid(id) ? await this.db.manager.getRepository(Webhook).findOneBy({ id }) : null;
    if (!webhook) throw AccountingError.webhookNotFound(id);
    await this.assertMayManage(principal, webhook);
    return webhook;
  }

  private async assertMayManage(principal: Principal, scope: { projectId: string | null; institution: string | null }): Promise<void> {
    if (scope.projectId) AccessPolicy.assertCanManageProjectNotifications(principal, await this.projects.get(scope.projectId));
    else if (scope.institution) AccessPolicy.assertCanManageInstitutionNotifications(principal, scope.institution);
    else throw AccountingError.about(AccountingErrorCode.InvalidWebhook, 'projectId', 'give a project or an institution');
  }
}
