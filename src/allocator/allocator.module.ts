import { Module } from '@nestjs/common';
import { RequestsModule } from '../requests/requests.module.js';
import { AllocatorCycleService } from './allocator-cycle.service.js';
import { AllocatorMetrics } from './allocator.metrics.js';
import { AllocatorResolver } from './allocator.resolver.js';

@Module({
  imports: [RequestsModule],
  providers: [AllocatorCycleService, AllocatorMetrics, AllocatorResolver],
  exports: [AllocatorCycleService],
})
export class AllocatorModule {}
