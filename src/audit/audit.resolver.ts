import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { ForbiddenError } from '../common/errors.js';
import { MAX_PAGE_SIZE, pageSize } from '../graphql/paging.js';
import { CurrentPrincipal } from '../identity/current-principal.decorator.js';
import { isFederationAdmin, type Principal } from '../identity/principal.js';
import { AuditService } from './audit.service.js';
import { AuditEventView } from './dto/audit.types.js';

@Resolver(() => AuditEventView)
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @Query(() => [AuditEventView], { description: 'administrative changes, newest first (federation admins only)' })
  async auditEvents(
    @CurrentPrincipal() principal: Principal,
    @Args('action', { nullable: true, type: () => String }) action: string | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 100, description: `at most ${MAX_PAGE_SIZE}` }) first: number | null,
    @Args('after', { type: () => ID, nullable: true }) after: string | null,
  ): Promise<AuditEventView[]> {
    if (!isFederationAdmin(principal)) throw new ForbiddenError('only federation admins may read the audit log');
    return this.audit.list({ action, first: pageSize(first), after });
  }
}
