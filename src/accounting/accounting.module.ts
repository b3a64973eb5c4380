import { Module } from '@nestjs/common';
import { RequestsModule } from '../requests/requests.module.js';
import { AccountingScheduler } from './accounting.scheduler.js';
import { AllocationEnforcer } from './allocation-enforcer.js';
import { ProjectUsage } from './project-usage.js';
import { ProjectUsageResolver } from './project-usage.resolver.js';
import { UsageLedger } from './usage-ledger.js';

@Module({
  imports: [RequestsModule],
  providers: [UsageLedger, AllocationEnforcer, AccountingScheduler, ProjectUsage, ProjectUsageResolver],
  exports: [AccountingScheduler],
})
export class AccountingModule {}
