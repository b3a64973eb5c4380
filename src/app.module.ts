import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AccountingModule } from './accounting/accounting.module.js';
import { NotificationsModule } from './accounting/notifications/notifications.module.js';
import { AllocationsModule, ProjectDirectoryModule } from './allocations/allocations.module.js';
import { AllocatorModule } from './allocator/allocator.module.js';
import { AuditModule } from './audit/audit.module.js';
import { BurstingModule } from './bursting/bursting.module.js';
import type { Clock } from './common/clock.js';
import { CommonModule } from './common/common.module.js';
import { ComputeModule } from './compute/compute.module.js';
import type { Config } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { GraphqlApiModule } from './graphql/graphql-api.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { MembersModule } from './identity/members/members.module.js';
import { ProvisioningModule } from './provisioning/provisioning.module.js';
import { RequestsModule, SiteOccupancyModule } from './requests/requests.module.js';
import { SitesModule } from './sites/sites.module.js';

@Module({})
export class AppModule {
  static forRoot(config: Config, logger: Logger, clock?: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, logger),
        CommonModule.forRoot(clock),
        DatabaseModule,
        AuditModule,
        NotificationsModule,
        ComputeModule,
        IdentityModule,
        MembersModule,
        SitesModule,
        AllocationsModule,
        ProjectDirectoryModule,
        RequestsModule,
        SiteOccupancyModule,
        AllocatorModule,
        ProvisioningModule,
        AccountingModule,
        BurstingModule,
        GraphqlApiModule,
      ],
    };
  }
}
