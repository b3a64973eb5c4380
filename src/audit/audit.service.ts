import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { requireCursor } from '../common/validation.js';
import { Db } from '../database/db.js';
import { AuditEvent } from './audit-event.entity.js';

const SECRET_KEY = /secret|token|password|sealed|userdata/i;

/** A copy of `value` with every secret-looking field replaced, at any depth. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v)]));
  }
  return value;
}

/** Who made a change: the audit log sits below identity, so any principal will do. */
export interface Actor {
  id: string;
  name: string;
}

/** Who reads the log, as identity (above this domain) judged them. */
export interface AuditReader {
  federationAdmin: boolean;
}

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  before?: object | null;
  after?: object | null;
}

/** The audit log of administrative changes; written in the transaction of the change it records. */
@Injectable()
export class AuditService {
  constructor(private readonly db: Db) {}

  async record(manager: EntityManager, principal: Actor, entry: AuditEntry): Promise<void> {
    const event = Object.assign(new AuditEvent(), {
      actorId: principal.id,
      actorName: principal.name,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: (entry.before ? redact(entry.before) : null) as Record<string, unknown> | null,
      after: (entry.after ? redact(entry.after) : null) as Record<string, unknown> | null,
    });
    await manager.save(event);
  }

  /** Newest first, keyset-paged by id. The log is the federation's: its admins see it all, anyone else nothing. */
  async list(reader: AuditReader, filter: { action?: string | null; first: number; after?: string | null }): Promise<AuditEvent[]> {
    if (!reader.federationAdmin) return [];
    const qb = this.db.manager.getRepository(AuditEvent).createQueryBuilder('e').orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').limit(filter.first);
    if (filter.action) qb.andWhere('e.action = :action', { action: filter.action });
    if (filter.after) {
      const cursor = await requireCursor('audit event', filter.after, (id) => this.db.manager.getRepository(AuditEvent).findOneBy({ id }));
      qb.andWhere('(e.at, e.id) < (:at, :id)', { at: cursor.at, id: cursor.id });
    }
    return qb.getMany();
  }
}
