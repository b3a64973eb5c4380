import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { OperationCatalog } from './operation-catalog.js';
import { PermissionGuard } from './permission.guard.js';
import { ScopeLookups } from './scope-lookups.js';

/** The declared permissions, their guard, and the lookups the domains register (global: every domain registers its own). */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [ScopeLookups, OperationCatalog, { provide: APP_GUARD, useClass: PermissionGuard }],
  exports: [ScopeLookups, OperationCatalog],
})
export class PermissionsModule {}
