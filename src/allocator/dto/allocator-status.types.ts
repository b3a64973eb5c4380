import { Field, Float, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('AllocatorStatus', { description: "the last allocator cycle's figures, like HTCondor's negotiator statistics" })
export class AllocatorStatusView {
  @Field(() => Date, { nullable: true, description: 'null: no cycle has run yet' }) lastCycleAt!: Date | null;
  @Field(() => Float) durationSeconds!: number;
  @Field(() => Int, { description: 'waiting requests it looked at' }) considered!: number;
  @Field(() => Int, { description: 'requests it placed' }) matched!: number;
  @Field(() => Float, { description: 'matched / considered' }) matchRate!: number;
  @Field(() => Float, { description: 'cycles run by this deployment' }) cycles!: number;
}
