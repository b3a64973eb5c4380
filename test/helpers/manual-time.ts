import { AccountingScheduler } from '../../src/accounting/accounting.scheduler.js';
import { AllocatorCycleService } from '../../src/allocator/allocator-cycle.service.js';
import type { ManualClock } from '../../src/common/clock.js';
import { Db } from '../../src/database/db.js';
import { ProvisioningScheduler } from '../../src/provisioning/provisioning.scheduler.js';
import { ResourceRequest } from '../../src/requests/entities/resource-request.entity.js';
import { RequestLifecycle } from '../../src/requests/request-lifecycle.js';
import type { TestBroker } from './broker.js';

/**
 * A broker on a manual clock with its schedules off, driven by the test: each pass runs when the
 * test says, and time moves only when it moves the clock.
 */
export function manualTime(t: () => TestBroker, clock: ManualClock) {
  const app = () => t().broker.app;
  const allocate = () => app().get(AllocatorCycleService).run();
  const reconcile = () => app().get(ProvisioningScheduler).reconcileNow();
  return {
    allocate,
    reconcile,
    /** A charge pass (and what follows it: ended allocations, allocation notices). */
    charge: () => app().get(AccountingScheduler).run(),

    /** Runs the allocator and the reconciler, moving the clock 3 s at a time, until the request is in `state`. */
    async until(requestId: string, state: string): Promise<void> {
      for (let i = 0; i < 40; i++) {
        const { resourceRequest } = await t().admin.data('query($id: ID!) { resourceRequest(id: $id) { state } }', { id: requestId });
        if (resourceRequest.state === state) return;
        clock.advance(3000);
        await allocate();
        await reconcile();
      }
      throw new Error(`request ${requestId} never reached ${state}`);
    },

    /** Moves a request to FAILED through the one place every state change goes through. */
    async fail(requestId: string, reason: string): Promise<void> {
      const lifecycle = app().get(RequestLifecycle);
      await app()
        .get(Db)
        .transaction(async (manager) => {
          const request = await manager.getRepository(ResourceRequest).findOneByOrFail({ id: requestId });
          await lifecycle.moveRequest(manager, request, 'FAILED', { reason, reasonCode: 'TEST' });
        });
    },
  };
}
