import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { NotificationKind } from '../../common/notifier.js';
import { CurrentPrincipal } from '../../identity/current-principal.decorator.js';
import { Allow, Permission, Scope } from '../../identity/permissions/permission.js';
import type { Principal } from '../../identity/principal.js';
import { NotificationKindEnum, NotificationPreferenceView, NotificationView, RegisterWebhookInput, WebhookRegistrationView, WebhookView } from './dto/notification.types.js';
import { NotificationOutbox } from './notification-outbox.js';
import { NotificationPreferences } from './notification-preferences.service.js';
import { toWebhookView, WebhooksService } from './webhooks.service.js';

@Resolver()
export class NotificationsResolver {
  constructor(
    private readonly webhookService: WebhooksService,
    private readonly outbox: NotificationOutbox,
    private readonly preferences: NotificationPreferences,
  ) {}

  @Allow(Permission.ManageNotifications, { scope: Scope.signedIn() })
  @Mutation(() => WebhookRegistrationView, { description: "POST a project's notifications (its managers) or an institution's (its site admins) to a URL, signed with the secret answered once" })
  async registerWebhook(@CurrentPrincipal() principal: Principal, @Args('input') input: RegisterWebhookInput): Promise<WebhookRegistrationView> {
    const { webhook, secret } = await this.webhookService.register(principal, input);
    return { webhook: toWebhookView(webhook), secret };
  }

  @Allow(Permission.ManageNotifications, { scope: Scope.signedIn() })
  @Mutation(() => WebhookView, { description: 'the kinds the webhook is sent; the others are turned off' })
  async setWebhookKinds(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string, @Args('kinds', { type: () => [NotificationKindEnum] }) kinds: NotificationKind[]): Promise<WebhookView> {
    return toWebhookView(await this.webhookService.setKinds(principal, id, kinds));
  }

  @Allow(Permission.ManageNotifications, { scope: Scope.signedIn() })
  @Mutation(() => WebhookView, { description: 'no more deliveries; deleting it again changes nothing' })
  async deleteWebhook(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<WebhookView> {
    return toWebhookView(await this.webhookService.delete(principal, id));
  }

  @Allow(Permission.ManageNotifications, { scope: Scope.signedIn() })
  @Query(() => [WebhookView], { description: "a project's webhooks, or an institution's" })
  async webhooks(
    @CurrentPrincipal() principal: Principal,
    @Args('projectId', { type: () => ID, nullable: true }) projectId: string | null,
    @Args('institution', { type: () => String, nullable: true }) institution: string | null,
  ): Promise<WebhookView[]> {
    return (await this.webhookService.list(principal, { projectId, institution })).map(toWebhookView);
  }

  @Allow(Permission.ReadOwn, { scope: Scope.signedIn() })
  @Query(() => [NotificationView], { description: "recent notifications of the projects you may see and the institutions you administer, newest first" })
  async notifications(@CurrentPrincipal() principal: Principal, @Args('first', { type: () => Int, nullable: true, defaultValue: 50, description: 'at most 500' }) first: number): Promise<NotificationView[]> {
    return (await this.outbox.recent(principal, first)).map((n) => ({ id: n.id, kind: n.kind, at: n.createdAt, subject: n.subject, projectId: n.projectId, institution: n.institution, details: n.details }));
  }

  @Allow(Permission.ManageNotifications, { scope: Scope.signedIn() })
  @Query(() => [NotificationPreferenceView], { description: 'which kinds are in your e-mail digest (a person signed in)' })
  notificationPreferences(@CurrentPrincipal() principal: Principal): Promise<NotificationPreferenceView[]> {
    return this.preferences.of(principal);
  }

  @Allow(Permission.ManageNotifications, { scope: Scope.signedIn() })
  @Mutation(() => NotificationPreferenceView, { description: 'turn a kind of notification on or off in your e-mail digest' })
  setNotificationPreference(@CurrentPrincipal() principal: Principal, @Args('kind', { type: () => NotificationKindEnum }) kind: NotificationKind, @Args('email', { type: () => Boolean }) email: boolean): Promise<NotificationPreferenceView> {
    return this.preferences.set(principal, kind, email);
  }
}
