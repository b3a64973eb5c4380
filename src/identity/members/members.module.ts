import { Module } from '@nestjs/common';
import { AllocationsModule } from '../../allocations/allocations.module.js';
import { MembersResolver } from './members.resolver.js';
import { MembersService } from './members.service.js';

@Module({ imports: [AllocationsModule], providers: [MembersService, MembersResolver] })
export class MembersModule {}
