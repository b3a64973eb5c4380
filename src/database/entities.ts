import { UsageRecord } from '../accounting/entities/usage-record.entity.js';
import { EmailDigestCursor } from '../accounting/notifications/entities/email-digest-cursor.entity.js';
import { NotificationPreference } from '../accounting/notifications/entities/notification-preference.entity.js';
import { Notification } from '../accounting/notifications/entities/notification.entity.js';
import { WebhookDelivery } from '../accounting/notifications/entities/webhook-delivery.entity.js';
import { Webhook } from '../accounting/notifications/entities/webhook.entity.js';
import { AllocatorCycle } from '../allocator/entities/allocator-cycle.entity.js';
import { Allocation } from '../allocations/entities/allocation.entity.js';
import { Project } from '../allocations/entities/project.entity.js';
import { AuditEvent } from '../audit/audit-event.entity.js';
import { WorkerPoolMember } from '../bursting/entities/worker-pool-member.entity.js';
import { WorkerPool } from '../bursting/entities/worker-pool.entity.js';
import { ApiToken } from '../identity/entities/api-token.entity.js';
import { LoginSession } from '../identity/entities/login-session.entity.js';
import { RoleGrant } from '../identity/entities/role-grant.entity.js';
import { SignInLink } from '../identity/entities/sign-in-link.entity.js';
import { User } from '../identity/entities/user.entity.js';
import { Instance } from '../requests/entities/instance.entity.js';
import { RequestEvent } from '../requests/entities/request-event.entity.js';
import { ResourceRequest } from '../requests/entities/resource-request.entity.js';
import { Site } from '../sites/entities/site.entity.js';
import { Deployment } from './deployment.entity.js';

/** Every entity, listed once: the data source and the migration check both use this list. */
export const ENTITIES = [Deployment, Site, Project, Allocation, ResourceRequest, Instance, ApiToken, User, RoleGrant, LoginSession, SignInLink, AuditEvent, UsageRecord, AllocatorCycle, RequestEvent, WorkerPool, WorkerPoolMember, Notification, Webhook, WebhookDelivery, NotificationPreference, EmailDigestCursor];
