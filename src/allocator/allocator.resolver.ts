import { Query, Resolver } from '@nestjs/graphql';
import { Db } from '../database/db.js';
import { Allow, Permission, Scope } from '../identity/permissions/permission.js';
import { AllocatorStatusView } from './dto/allocator-status.types.js';
import { AllocatorCycle } from './entities/allocator-cycle.entity.js';

@Resolver()
export class AllocatorResolver {
  constructor(private readonly db: Db) {}

  @Allow(Permission.ReadFederation, { scope: Scope.signedIn() })
  @Query(() => AllocatorStatusView, { description: "the last allocator cycle's figures (any broker process's)" })
  async allocatorStatus(): Promise<AllocatorStatusView> {
    const last = await this.db.manager.getRepository(AllocatorCycle).findOneBy({ id: 1 });
    if (!last) return { lastCycleAt: null, durationSeconds: 0, considered: 0, matched: 0, matchRate: 0, cycles: 0 };
    return {
      lastCycleAt: last.finishedAt,
      durationSeconds: last.durationSeconds,
      considered: last.considered,
      matched: last.matched,
      matchRate: last.considered === 0 ? 0 : last.matched / last.considered,
      cycles: Number(last.cycles),
    };
  }
}
