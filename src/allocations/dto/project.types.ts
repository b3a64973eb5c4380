import { Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('Project')
export class ProjectView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() institution!: string;
}

@ObjectType('Allocation', { description: 'Concurrent limits and optional core-hour and GPU-hour budgets granted to a project' })
export class AllocationView {
  @Field(() => ID) id!: string;
  projectId!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int) gpus!: number;
  @Field(() => Int, { nullable: true }) instances!: number | null;
  @Field(() => Float, { nullable: true, description: 'core-hour budget; null: unlimited' }) coreHours!: number | null;
  @Field(() => Float, { nullable: true, description: 'GPU-hour budget; null: unlimited' }) gpuHours!: number | null;
  @Field(() => Date, { nullable: true }) startsAt!: Date | null;
  @Field(() => Date, { nullable: true }) endsAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'when its budget was used up' }) exhaustedAt!: Date | null;
  @Field(() => Int, { nullable: true, description: 'when it stops counting: null lets running leases finish; else what it no longer covers is terminated after this many minutes' })
  terminateAfterMinutes!: number | null;
}

@ObjectType('ResourceAmounts')
export class ResourceAmountsView {
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int) gpus!: number;
  @Field(() => Int, { nullable: true, description: 'null: no limit on the count' }) instances!: number | null;
}

@ObjectType('ProjectUsage', { description: "a project's limits, what it uses, its budget left and its usage so far" })
export class ProjectUsageView {
  @Field(() => ResourceAmountsView, { description: 'the allocations in force, added up' }) limits!: ResourceAmountsView;
  @Field(() => ResourceAmountsView, { description: 'what its instances hold now' }) inUse!: ResourceAmountsView;
  @Field(() => Float, { nullable: true, description: 'budget of the allocations in force less what was charged; null: unlimited' }) coreHoursLeft!: number | null;
  @Field(() => Float, { nullable: true }) gpuHoursLeft!: number | null;
  @Field(() => Float, { description: 'what running leases will still cost if they run to the end' }) coreHoursPromised!: number;
  @Field(() => Float) gpuHoursPromised!: number;
  @Field(() => Float, { description: 'charged so far, all time' }) coreHoursUsed!: number;
  @Field(() => Float) gpuHoursUsed!: number;
  @Field(() => Float, { description: 'core-hours used, decayed with the fair-share half-life; lower goes first' }) fairShareUsage!: number;
  @Field(() => Float, { description: 'HTCondor-style: 2 gets half the share of 1' }) priorityFactor!: number;
}

@InputType()
export class CreateProjectInput {
  @Field() name!: string;
  @Field() institution!: string;
}

@InputType()
export class GrantAllocationInput {
  @Field(() => ID) projectId!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int, { nullable: true }) gpus?: number | null;
  @Field(() => Int, { nullable: true }) instances?: number | null;
  @Field(() => Float, { nullable: true, description: 'consumable budget; unset = unlimited' }) coreHours?: number | null;
  @Field(() => Float, { nullable: true, description: 'consumable GPU budget; unset = unlimited' }) gpuHours?: number | null;
  @Field(() => Date, { nullable: true }) startsAt?: Date | null;
  @Field(() => Date, { nullable: true }) endsAt?: Date | null;
  @Field(() => Int, { nullable: true, description: 'when it ends, is revoked or runs out of budget, terminate what it no longer covers after this many minutes (unset: leases finish)' })
  terminateAfterMinutes?: number | null;
}

@InputType({ description: 'what is left out stays; null clears (a budget becomes unlimited, an end date none)' })
export class UpdateAllocationInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) vcpus?: number | null;
  @Field(() => Int, { nullable: true }) memoryMiB?: number | null;
  @Field(() => Int, { nullable: true }) gpus?: number | null;
  @Field(() => Int, { nullable: true }) instances?: number | null;
  @Field(() => Float, { nullable: true }) coreHours?: number | null;
  @Field(() => Float, { nullable: true }) gpuHours?: number | null;
  @Field(() => Date, { nullable: true }) startsAt?: Date | null;
  @Field(() => Date, { nullable: true }) endsAt?: Date | null;
  @Field(() => Int, { nullable: true }) terminateAfterMinutes?: number | null;
}
