import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { COMPUTE_DRIVERS } from './compute.tokens.js';
import { Ec2DriverFactory } from './ec2-driver.js';
import { SiteEmulatorService } from './site-emulator.service.js';

@Injectable()
class ComputeShutdown implements OnApplicationShutdown {
  constructor(@Inject(COMPUTE_DRIVERS) private readonly drivers: Ec2DriverFactory) {}
  onApplicationShutdown(): void {
    this.drivers.destroy();
  }
}

/** Talking to sites: one EC2 client per site through the AWS SDK, and the bundled emulator. */
@Global()
@Module({
  providers: [{ provide: COMPUTE_DRIVERS, useFactory: () => new Ec2DriverFactory() }, SiteEmulatorService, ComputeShutdown],
  exports: [COMPUTE_DRIVERS, SiteEmulatorService],
})
export class ComputeModule {}
