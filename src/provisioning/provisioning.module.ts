import { Module } from '@nestjs/common';
import { RequestsModule } from '../requests/requests.module.js';
import { SitesModule } from '../sites/sites.module.js';
import { LeaseNotices } from './lease-notices.js';
import { ProvisionerService } from './provisioner.service.js';
import { ProvisioningScheduler } from './provisioning.scheduler.js';
import { ReconcilerService } from './reconciler.service.js';
import { RequestSettlement } from './request-settlement.js';
import { TerminatorService } from './terminator.service.js';

@Module({
  imports: [RequestsModule, SitesModule],
  providers: [ProvisionerService, TerminatorService, ReconcilerService, RequestSettlement, ProvisioningScheduler, LeaseNotices],
  exports: [ProvisioningScheduler, LeaseNotices],
})
export class ProvisioningModule {}
