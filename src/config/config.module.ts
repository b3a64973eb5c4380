import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from './config.js';

/** Provides the validated configuration and the logger to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: Config, logger: Logger): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
      ],
      exports: [CONFIG, LOGGER],
    };
  }
}
