import { type DynamicModule, Global, Module } from '@nestjs/common';
import { type Clock, systemClock } from './clock.js';
import { CLOCK } from './clock.provider.js';
import { HealthController } from './health.controller.js';
import { MetricsRegistry } from './metrics.js';
import { WorkSignals } from './work-signals.js';

/** Cross-cutting pieces every domain may use: the clock, work signals, metrics, /healthz, /metrics. */
@Global()
@Module({})
export class CommonModule {
  static forRoot(clock: Clock = systemClock): DynamicModule {
    return {
      module: CommonModule,
      controllers: [HealthController],
      providers: [{ provide: CLOCK, useValue: clock }, WorkSignals, MetricsRegistry],
      exports: [CLOCK, WorkSignals, MetricsRegistry],
    };
  }
}
