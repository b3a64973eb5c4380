import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import { BadInputError, NotFoundError } from '../common/errors.js';
import { LOGGER } from '../common/logging.js';
import { isUuid, optionalInteger, requireText } from '../common/validation.js';
import { AuditService } from '../audit/audit.service.js';
import { Db } from '../database/db.js';
import { Project } from '../allocations/entities/project.entity.js';
import { hashToken, newToken } from './tokens.js';
import { ApiToken } from './entities/api-token.entity.js';
import type { Principal, Role } from './principal.js';

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
}
