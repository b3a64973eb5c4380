import { Global, Module } from '@nestjs/common';
import { AllocationsModule } from '../../allocations/allocations.module.js';
import { IdentityModule } from '../../identity/identity.module.js';
import { Notifier } from '../../common/notifier.js';
import { AllocationNotices } from './allocation-notices.js';
import { EmailDigests } from './email-digests.js';
import { NotificationOutbox } from './notification-outbox.js';
import { NotificationPreferences } from './notification-preferences.service.js';
import { NotificationsResolver } from './notifications.resolver.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhooksService } from './webhooks.service.js';

/** Gives every domain the Notifier (the outbox), so it can tell people of what happened without knowing how they are told. */
@Global()
@Module({
  imports: [AllocationsModule, IdentityModule],
  providers: [NotificationOutbox, { provide: Notifier, useExisting: NotificationOutbox }, WebhookDispatcher, WebhooksService, NotificationPreferences, AllocationNotices, EmailDigests, NotificationsResolver],
  exports: [Notifier, NotificationOutbox, WebhookDispatcher, AllocationNotices, NotificationPreferences],
})
export class NotificationsModule {}
