import { Module } from '@nestjs/common';
import { AllocationsModule } from '../allocations/allocations.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { SitesModule } from '../sites/sites.module.js';
import { AccountingScheduler } from './accounting.scheduler.js';
import { AllocationEnforcer } from './allocation-enforcer.js';
import { ProjectUsage } from './project-usage.js';
import { ProjectUsageResolver } from './project-usage.resolver.js';
import { UsageExports } from './usage-exports.js';
import { UsageExportsController } from './usage-exports.controller.js';
import { UsageLedger } from './usage-ledger.js';
import { UsageReports } from './usage-reports.js';
import { UsageReportsResolver } from './usage-reports.resolver.js';
import { UsageMetrics } from './usage.metrics.js';

@Module({
  imports: [AllocationsModule, IdentityModule, RequestsModule, SitesModule],
  controllers: [UsageExportsController],
  providers: [UsageLedger, AllocationEnforcer, AccountingScheduler, ProjectUsage, ProjectUsageResolver, UsageReports, UsageReportsResolver, UsageExports, UsageMetrics],
  exports: [AccountingScheduler],
})
export class AccountingModule {}
