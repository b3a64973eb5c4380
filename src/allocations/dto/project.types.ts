import { Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('Project')
export class ProjectView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() institution!: string;
}

@ObjectType('Allocation', { description: 'Concurrent limits and an optional core-hour budget granted to a project' })
export class AllocationView {
  @Field(() => ID) id!: string;
  projectId!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int) gpus!: number;
  @Field(() => Int, { nullable: true }) instances!: number | null;
  @Field(() => Float, { nullable: true }) coreHours!: number | null;
  @Field(() => Date, { nullable: true }) startsAt!: Date | null;
  @Field(() => Date, { nullable: true }) endsAt!: Date | null;
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
  @Field(() => Date, { nullable: true }) startsAt?: Date | null;
  @Field(() => Date, { nullable: true }) endsAt?: Date | null;
}
