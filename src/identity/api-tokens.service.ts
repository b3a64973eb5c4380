import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { BadInputError, NotFoundError } from '../common/errors.js';
import { LOGGER } from '../common/logging.js';
import { isUuid, optionalInteger, requireText } from '../common/validation.js';
import { AuditService } from '../audit/audit.service.js';
import { Db } from '../database/db.js';
import { IsNull, type FindOptionsWhere } from 'typeorm';
import { Project } from '../allocations/entities/project.entity.js';
import { hashToken, newToken } from './tokens.js';
import { ApiToken } from './entities/api-token.entity.js';
import { isFederationAdmin, type Principal, type Role } from './principal.js';

export interface ServiceAccountSpec {
  name: string;
  role: Role;
  projectId?: string | null;
  institution?: string | null;
  expiresInDays?: number | null;
}

/** API tokens for batch jobs and the CLI: shown once, stored as a SHA-256 hash. */
@Injectable()
export class ApiTokensService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async createServiceAccount(principal: Principal, spec: ServiceAccountSpec): Promise<{ token: string; expiresAt: Date | null }> {
    requireText('name', spec.name, 100);
    optionalInteger('expiresInDays', spec.expiresInDays, 1, 3650);
    if (spec.institution !== null && spec.institution !== undefined) requireText('institution', spec.institution);
    const scoped = spec.role === 'RESEARCHER' || spec.role === 'PROJECT_MANAGER';
    if (scoped && !spec.projectId) throw new BadInputError('projectId', `is required for a ${spec.role} service account`);
    if (spec.role === 'SITE_ADMIN' && !spec.institution) throw new BadInputError('institution', 'is required for a SITE_ADMIN service account');
    if (spec.projectId) {
      const project = isUuid(spec.projectId) ? await this.db.manager.getRepository(Project).findOneBy({ id: spec.projectId }) : null;
      if (!project) throw new NotFoundError('project', spec.projectId);
    }

    const token = newToken();
    const expiresAt = spec.expiresInDays ? new Date(this.clock.now().getTime() + spec.expiresInDays * 86_400_000) : null;
    const saved = await this.db.transaction(async (manager) => {
      const row = await manager.getRepository(ApiToken).save({
        name: spec.name,
        role: spec.role,
        projectId: spec.projectId ?? null,
        institution: spec.institution ?? null,
        tokenHash: hashToken(token),
        createdBy: principal.id,
        expiresAt,
      });
      await this.audit.record(manager, principal, { action: 'serviceAccount.create', targetType: 'apiToken', targetId: row.id, after: row });
      return row;
    });
    this.logger.info({ tokenId: saved.id, role: spec.role, projectId: spec.projectId, by: principal.id }, 'service account created');
    return { token, expiresAt };
  }

  /** A token of the calling user (checked to be a person), acting as them within the given limits. */
  async createUserToken(
    principal: Principal,
    spec: { name: string; projectId?: string | null; operations?: string[] | null; role?: Role | null; expiresInDays?: number | null },
    knownOperations: Set<string>,
  ): Promise<{ token: string; expiresAt: Date | null }> {
    requireText('name', spec.name, 100);
    optionalInteger('expiresInDays', spec.expiresInDays, 1, 3650);
    if (spec.operations) {
      if (spec.operations.length === 0) throw new BadInputError('operations', 'must list at least one operation, or be left out for any');
      const unknown = spec.operations.find((o) => !knownOperations.has(o));
      if (unknown !== undefined) throw new BadInputError('operations', `no operation is named ${JSON.stringify(unknown)}`);
    }
    if (spec.projectId && !isUuid(spec.projectId)) throw new NotFoundError('project', spec.projectId);
    const token = newToken();
    const expiresAt = new Date(this.clock.now().getTime() + (spec.expiresInDays ?? 90) * 86_400_000);
    const userId = principal.id.slice('user:'.length);
    const saved = await this.db.transaction(async (manager) => {
      const row = await manager.getRepository(ApiToken).save({
        name: spec.name,
        role: spec.role ?? 'RESEARCHER',
        projectId: spec.projectId ?? null,
        institution: null,
        tokenHash: hashToken(token),
        createdBy: principal.id,
        userId,
        operations: spec.operations ?? null,
        expiresAt,
      });
      await this.audit.record(manager, principal, { action: 'apiToken.create', targetType: 'apiToken', targetId: row.id, after: row });
      return row;
    });
    this.logger.info({ tokenId: saved.id, userId, projectId: spec.projectId, operations: spec.operations }, 'user token created');
    return { token, expiresAt };
  }

  /** The tokens the caller made (a federation admin: all). */
  list(principal: Principal): Promise<ApiToken[]> {
    const where: FindOptionsWhere<ApiToken> = isFederationAdmin(principal) ? {} : { createdBy: principal.id };
    return this.db.manager.getRepository(ApiToken).find({ where, order: { createdAt: 'DESC' } });
  }

  /** Ends a token at once; revoking a revoked token changes nothing. `allowed` checks the caller against the token. */
  async revoke(principal: Principal, id: string, allowed: (token: ApiToken) => void): Promise<ApiToken> {
    return this.db.transaction(async (manager) => {
      const repo = manager.getRepository(ApiToken);
      const token = isUuid(id) ? await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!token) throw new NotFoundError('token', id);
      allowed(token);
      if (token.revokedAt) return token;
      token.revokedAt = this.clock.now();
      await repo.update({ id, revokedAt: IsNull() }, { revokedAt: token.revokedAt });
      await this.audit.record(manager, principal, { action: 'apiToken.revoke', targetType: 'apiToken', targetId: id, before: { revokedAt: null }, after: { revokedAt: token.revokedAt } });
      return token;
    });
  }
}
