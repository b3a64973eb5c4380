import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { NotFoundError, UnauthenticatedError } from '../common/errors.js';
import { LOGGER } from '../common/logging.js';
import { isUuid, optionalInteger, requireText } from '../common/validation.js';
import { AuditService } from '../audit/audit.service.js';
import { CONFIG, type Config } from '../config/config.js';
import { Db } from '../database/db.js';
import { IsNull, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { hashToken, newToken } from './tokens.js';
import { ApiToken } from './entities/api-token.entity.js';
import { OperationCatalog } from './permissions/operation-catalog.js';
import { ProjectDirectory } from './project-directory.js';
import { isFederationAdmin, type Principal, type Role } from './principal.js';
import { assertNoWiderThanCallerToken, expiryWithinCallerToken } from './token-limits.js';
import { apiTokenLifecycle, apiTokenLifecycleOf } from './api-token-lifecycle.js';
import { IdentityError, IdentityErrorCode } from './identity.errors.js';

/** A user's own token lives this long unless asked otherwise. */
const USER_TOKEN_DEFAULT_DAYS = 90;
const USER_TOKEN_MAX_DAYS = 3650;

export interface ServiceAccountSpec {
  name: string;
  role: Role;
  projectId?: string | null;
  institution?: string | null;
  expiresInDays?: number | null;
}

/**
 * API tokens for batch jobs and the CLI: shown once, stored as a SHA-256 hash. A token made by a
 * caller who authenticated with a token records it as its parent: it is no wider than its parent,
 * and revoking the parent revokes it.
 */
@Injectable()
export class ApiTokensService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly projects: ProjectDirectory,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly operations: OperationCatalog,
  ) {}

  async createServiceAccount(principal: Principal, spec: ServiceAccountSpec): Promise<{ token: string; expiresAt: Date | null }> {
    requireText('name', spec.name, 100);
    optionalInteger('expiresInDays', spec.expiresInDays, 1, this.config.SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS);
    if (spec.institution !== null && spec.institution !== undefined) requireText('institution', spec.institution);
    const scoped = spec.role === 'RESEARCHER' || spec.role === 'PROJECT_MANAGER';
    if (scoped && !spec.projectId) throw IdentityError.about(IdentityErrorCode.InvalidSettings, 'projectId', `is required for a ${spec.role} service account`);
    if (spec.role === 'SITE_ADMIN' && !spec.institution) throw IdentityError.about(IdentityErrorCode.InvalidSettings, 'institution', 'is required for a SITE_ADMIN service account');
    if (spec.projectId) {
      if (!isUuid(spec.projectId) || !(await this.projects.exists(spec.projectId))) throw new NotFoundError('project', spec.projectId);
    }

    // made with a limited token, the account may call what that token may call, and no more
    const operations = principal.operations ?? null;
    assertNoWiderThanCallerToken(principal, { role: spec.role, projectId: spec.projectId ?? null, operations });
    const expiresAt = expiryWithinCallerToken(principal, this.clock.now(), spec.expiresInDays, this.config.SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS);

    const token = newToken();
    const saved = await this.db.transaction(async (manager) => {
      await this.holdParent(manager, principal);
      const row = await manager.getRepository(ApiToken).save({
        name: spec.name,
        role: spec.role,
        projectId: spec.projectId ?? null,
        institution: spec.institution ?? null,
        tokenHash: hashToken(token),
        createdBy: principal.id,
        parentTokenId: principal.token?.id ?? null,
        operations,
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
  ): Promise<{ token: string; expiresAt: Date | null }> {
    requireText('name', spec.name, 100);
    optionalInteger('expiresInDays', spec.expiresInDays, 1, USER_TOKEN_MAX_DAYS);
    if (spec.operations) {
      if (spec.operations.length === 0) throw IdentityError.about(IdentityErrorCode.InvalidSettings, 'operations', 'must list at least one operation, or be left out for any');
      const known = this.operations.names(['Query', 'Mutation']);
      const unknown = spec.operations.find((o) => !known.has(o));
      if (unknown !== undefined) throw IdentityError.about(IdentityErrorCode.InvalidSettings, 'operations', `no operation is named ${JSON.stringify(unknown)}`);
    }
    if (spec.projectId && !isUuid(spec.projectId)) throw new NotFoundError('project', spec.projectId);
    const role = spec.role ?? 'RESEARCHER';
    const operations = spec.operations ?? null;
    assertNoWiderThanCallerToken(principal, { role, projectId: spec.projectId ?? null, operations });
    const expiresAt = expiryWithinCallerToken(principal, this.clock.now(), spec.expiresInDays, USER_TOKEN_DEFAULT_DAYS);

    const token = newToken();
    const userId = principal.id.slice('user:'.length);
    const saved = await this.db.transaction(async (manager) => {
      await this.holdParent(manager, principal);
      const row = await manager.getRepository(ApiToken).save({
        name: spec.name,
        role,
        projectId: spec.projectId ?? null,
        institution: null,
        tokenHash: hashToken(token),
        createdBy: principal.id,
        parentTokenId: principal.token?.id ?? null,
        userId,
        operations,
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

  /** The token, or null (a malformed id is simply not found). */
  find(id: string): Promise<ApiToken | null> {
    return isUuid(id) ? this.db.manager.getRepository(ApiToken).findOneBy({ id }) : Promise.resolve(null);
  }

  /**
   * Ends a token at once, and in the same transaction every token made with it, generation after
   * generation; revoking a revoked token changes nothing. (Who may: Permission.RevokeToken.)
   */
  async revoke(principal: Principal, id: string): Promise<ApiToken> {
    const outcome = await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(ApiToken);
      const token = isUuid(id) ? await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!token) throw IdentityError.notFound(IdentityErrorCode.TokenNotFound, id);
      if (token.revokedAt) return { token, descendants: [] };
      const now = this.clock.now();
      apiTokenLifecycle.assertTransition(apiTokenLifecycleOf(token, now), 'REVOKED');
      token.revokedAt = now;
      await repo.update({ id, revokedAt: IsNull() }, { revokedAt: token.revokedAt });
      await this.audit.record(manager, principal, { action: 'apiToken.revoke', targetType: 'apiToken', targetId: id, before: { revokedAt: null }, after: { revokedAt: token.revokedAt } });
      const descendants = await this.revokeDescendants(manager, id, token.revokedAt);
      for (const child of descendants) {
        await this.audit.record(manager, principal, {
          action: 'apiToken.revoke',
          targetType: 'apiToken',
          targetId: child,
          before: { revokedAt: null },
          after: { revokedAt: token.revokedAt, because: `made with token ${id}, revoked` },
        });
      }
      return { token, descendants };
    });
    this.logger.info({ tokenId: id, descendants: outcome.descendants, by: principal.id }, 'API token revoked');
    return outcome.token;
  }

  /**
   * The token the caller authenticated with, held (FOR SHARE) until the new token is written: a
   * revocation under way either waits for the new token, and then finds it, or has committed, and
   * then the new token is refused. No child escapes its parent's revocation.
   */
  private async holdParent(manager: EntityManager, principal: Principal): Promise<void> {
    if (!principal.token) return;
    const parent = await manager.getRepository(ApiToken).findOne({ where: { id: principal.token.id }, lock: { mode: 'pessimistic_read' } });
    if (!parent || parent.revokedAt) throw new UnauthenticatedError('the token of this request has just been revoked');
  }

  /**
   * Revokes the tokens made with `parentId`, their own, and so on; their ids. Again until a pass
   * finds none: a token being made with one of them while the first pass waited for its lock
   * (see holdParent) has committed by then. Only tokens not yet revoked move: active or expired
   * to REVOKED, as apiTokenLifecycle allows.
   */
  private async revokeDescendants(manager: EntityManager, parentId: string, at: Date): Promise<string[]> {
    const revoked: string[] = [];
    for (;;) {
      const rows: { id: string }[] = await manager.query(
        `WITH RECURSIVE descendant AS (
           SELECT id FROM api_token WHERE parent_token_id = $1
           UNION
           SELECT child.id FROM api_token child JOIN descendant ON child.parent_token_id = descendant.id
         ),
         revoked AS (UPDATE api_token SET revoked_at = $2 WHERE id IN (SELECT id FROM descendant) AND revoked_at IS NULL RETURNING id)
         SELECT id FROM revoked`,
        [parentId, at],
      );
      if (rows.length === 0) return revoked;
      revoked.push(...rows.map((r) => r.id));
    }
  }
}
