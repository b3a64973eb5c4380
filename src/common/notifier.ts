import type { EntityManager } from 'typeorm';

/** What people are told of (api-contract.md, "Accounting"); each can be turned off per webhook and per person. */
export const NOTIFICATION_KINDS = ['BUDGET_50', 'BUDGET_80', 'BUDGET_100', 'ALLOCATION_ENDING', 'ALLOCATION_ENDED', 'LEASE_ENDING', 'REQUEST_FAILED', 'SITE_DOWN'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface NewNotification {
  kind: NotificationKind;
  /** one line, for people: "project astro: 80% of allocation ... used" */
  subject: string;
  /** the project it is about (its webhooks, and its institution's, hear of it) */
  projectId?: string;
  /** the institution it is about, when no project is (a site's) */
  institution?: string;
  /** ids and figures for programs */
  details: Record<string, unknown>;
  /** a notification with a key already given is not given again (a threshold crossed once) */
  dedupeKey?: string;
}

/**
 * Tells people of something that happened, in the transaction that made it happen: the
 * notification is stored with it (a transactional outbox) and delivered once it has committed,
 * so none is lost or sent for a change that rolled back. The accounting domain provides it, so a
 * domain that has something to tell need not know how it is delivered.
 */
export abstract class Notifier {
  abstract notify(manager: EntityManager, notification: NewNotification): Promise<void>;

  /** The same for many at once (as many leases come due together), in a few statements. */
  abstract notifyMany(manager: EntityManager, notifications: NewNotification[]): Promise<void>;
}
