import { Injectable } from '@nestjs/common';
import { NOTIFICATION_KINDS, type NotificationKind } from '../../common/notifier.js';
import { Db } from '../../database/db.js';
import { IdentityError, IdentityErrorCode } from '../../identity/identity.errors.js';
import type { Principal } from '../../identity/principal.js';
import { NotificationPreference } from './entities/notification-preference.entity.js';

/** The user behind a person's principal (`user:<id>`): only people get e-mail. */
export function userIdOf(principal: Principal): string {
  if (principal.kind !== 'user') throw new IdentityError(IdentityErrorCode.PersonRequired, 'only a person signed in has an e-mail digest to choose for');
  return principal.id.slice('user:'.length);
}

/** Which kinds each person wants in their e-mail digest: all, unless turned off. */
@Injectable()
export class NotificationPreferences {
  constructor(private readonly db: Db) {}

  async of(principal: Principal): Promise<{ kind: NotificationKind; email: boolean }[]> {
    const set = await this.db.manager.getRepository(NotificationPreference).findBy({ userId: userIdOf(principal) });
    const email = new Map(set.map((p) => [p.kind, p.email]));
    return NOTIFICATION_KINDS.map((kind) => ({ kind, email: email.get(kind) ?? true }));
  }

  async set(principal: Principal, kind: NotificationKind, email: boolean): Promise<{ kind: NotificationKind; email: boolean }> {
    await this.db.manager.getRepository(NotificationPreference).upsert({ userId: userIdOf(principal), kind, email }, ['userId', 'kind']);
    return { kind, email };
  }

  /** The kinds each of these users turned off for e-mail. */
  async turnedOff(userIds: string[]): Promise<Map<string, Set<NotificationKind>>> {
    const off = await this.db.manager.getRepository(NotificationPreference).find({ where: userIds.map((userId) => ({ userId, email: false })) });
    const byUser = new Map<string, Set<NotificationKind>>();
    for (const p of off) byUser.set(p.userId, (byUser.get(p.userId) ?? new Set()).add(p.kind));
    return byUser;
  }
}
