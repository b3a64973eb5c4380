import { Module } from '@nestjs/common';
import { RequestsModule } from '../requests/requests.module.js';
import { AccountingScheduler } from './accounting.scheduler.js';
import { AllocationEnforcer } from './allocation-enforcer.js';
import { UsageLedger } from './usage-ledger.js';

@Module({
  imports: [RequestsModule],
  providers: [UsageLedger, AllocationEnforcer, AccountingScheduler],
  exports: [AccountingScheduler],
})
export class AccountingModule {}
