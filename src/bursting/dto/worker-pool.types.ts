import { Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';

@InputType()
export class CreateWorkerPoolInput {
  @Field(() => ID) projectId!: string;
  @Field({ description: 'unique among the project\'s pools: letters, digits, "_", "." and "-"' }) name!: string;
  @Field({ description: 'logical image name, as for a request' }) image!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int, { nullable: true, description: 'default 0' }) gpus?: number | null;
  @Field(() => String, { nullable: true, description: 'cloud-init that starts the worker (e.g. an HTCondor startd)' }) userData?: string | null;
  @Field(() => Float, { description: "each member's lease; a member whose lease ends is replaced" }) leaseHours!: number;
  @Field(() => Int, { nullable: true, description: 'default 0' }) minSize?: number | null;
  @Field(() => Int) maxSize!: number;
  @Field(() => Int, { nullable: true, description: 'default minSize' }) desiredSize?: number | null;
}

@ObjectType('WorkerPool', { description: 'keeps desiredSize members running: replaces those that fail or vanish, ends the newest first when it shrinks' })
export class WorkerPoolView {
  @Field(() => ID) id!: string;
  projectId!: string;
  @Field() name!: string;
  @Field({ description: 'ACTIVE, or DELETED (its members ended)' }) state!: string;
  @Field() image!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int) gpus!: number;
  @Field(() => Float) leaseHours!: number;
  @Field(() => Int) minSize!: number;
  @Field(() => Int) maxSize!: number;
  @Field(() => Int) desiredSize!: number;
  @Field(() => Int, { description: 'members RUNNING now' }) running!: number;
  @Field(() => String, { nullable: true, description: 'why fewer than desiredSize run, in words (null when none are missing)' }) reason!: string | null;
  @Field(() => Date) createdAt!: Date;
  /** The members' request ids, newest first, for the members field. */
  memberIds!: string[];
}
