import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { MAX_PAGE_SIZE, pageSize } from '../graphql/paging.js';
import { CurrentPrincipal } from '../identity/current-principal.decorator.js';
import { Allow, Permission, Scope } from '../identity/permissions/permission.js';
import { isFederationAdmin, type Principal } from '../identity/principal.js';
import { AuditService } from './audit.service.js';
import { AuditEventView } from './dto/audit.types.js';

@Resolver(() => AuditEventView)
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @Allow(Permission.ReadAuditLog, { scope: Scope.federation() })
  @Query(() => [AuditEventView], { description: 'administrative changes, newest first (federation admins only)' })
  auditEvents(
    @CurrentPrincipal() principal: Principal,
    @Args('action', { nullable: true, type: () => String }) action: string | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 100, description: `at most ${MAX_PAGE_SIZE}` }) first: number | null,
    @Args('after', { type: () => ID, nullable: true }) after: string | null,
  ): Promise<AuditEventView[]> {
    return this.audit.list({ federationAdmin: isFederationAdmin(principal) }, { action, first: pageSize(first), after });
  }
}
