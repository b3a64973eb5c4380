import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { LOGGER } from '../../common/logging.js';
import { CONFIG, type Config } from '../../config/config.js';
import { type ClaimRule, loadClaimRules, mapClaims } from '../claims-mapping.js';
import { RoleGrant } from '../entities/role-grant.entity.js';
import { ProjectDirectory } from '../project-directory.js';

/**
 * Applies SKYPOOL_CLAIM_MAPPINGS at each login: the user's grants from claims are replaced by what
 * the current claims map to. Grants given by hand (source 'manual') are left alone. The rules are
 * read and checked once, at start.
 */
@Injectable()
export class ClaimGrants {
  private readonly rules: ClaimRule[];

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly projects: ProjectDirectory,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.rules = config.SKYPOOL_CLAIM_MAPPINGS ? loadClaimRules(config.SKYPOOL_CLAIM_MAPPINGS) : [];
  }

  async apply(manager: EntityManager, userId: string, claims: Record<string, unknown>): Promise<void> {
    if (this.rules.length === 0) return;
    const mapped = mapClaims(this.rules, claims);
    const names = [...new Set(mapped.flatMap((g) => (g.projectName ? [g.projectName] : [])))];
    const byName = names.length ? await this.projects.idsByName(manager, names) : new Map<string, string>();
    const unknown = names.filter((n) => !byName.has(n));
    if (unknown.length) this.logger.info({ userId, projects: unknown }, 'claims name projects that do not exist; those grants are skipped');
    const grants = mapped
      .filter((g) => !g.projectName || byName.has(g.projectName))
      .map((g) => ({ userId, role: g.role, projectId: g.projectName ? byName.get(g.projectName)! : null, institution: g.institution ?? null, source: 'claims' as const }));
    const repo = manager.getRepository(RoleGrant);
    await repo.delete({ userId, source: 'claims' });
    if (grants.length) await repo.insert(grants);
    this.logger.info({ userId, grants: grants.map((g) => `${g.role}:${g.projectId ?? g.institution ?? 'federation'}`) }, 'role grants from claims applied');
  }
}
