import { createUnionType, Field, Float, ID, InputType, Int, InterfaceType, ObjectType } from '@nestjs/graphql';
import { graphqlEnum } from '../../graphql/enums.js';
import { SiteView } from '../../sites/dto/site.types.js';
import { INSTANCE_STATES, type InstanceState } from '../instance-state.js';
import { REQUEST_STATES, type RequestState } from '../request-state.js';

export const RequestStateEnum = graphqlEnum<RequestState>('RequestState', REQUEST_STATES);
export const InstanceStateEnum = graphqlEnum<InstanceState>('InstanceState', INSTANCE_STATES);

@ObjectType('Instance')
export class InstanceView {
  @Field(() => ID) id!: string;
  siteId!: string;
  @Field() instanceType!: string;
  @Field(() => String, { nullable: true, description: "the id the site's EC2 endpoint gave" }) siteInstanceId!: string | null;
  @Field(() => InstanceStateEnum) state!: InstanceState;
  @Field(() => String, { nullable: true }) privateIp!: string | null;
  @Field(() => String, { nullable: true }) publicIp!: string | null;
  @Field(() => Date, { nullable: true }) leaseEndsAt!: Date | null;
}

@ObjectType('ResourceRequest')
export class ResourceRequestView {
  @Field(() => ID) id!: string;
  projectId!: string;
  @Field(() => RequestStateEnum) state!: RequestState;
  @Field(() => String, { nullable: true, description: 'why it waits or failed, in words' }) reason!: string | null;
  @Field(() => String, { nullable: true, description: 'e.g. QUOTA, BUDGET, NO_IMAGE, SITE_CAPACITY, SITE_TIMEOUT, NODE_DISAPPEARED, AUTH_FAILED' })
  reasonCode!: string | null;
  @Field() image!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int) gpus!: number;
  @Field(() => Int) count!: number;
  @Field(() => Int) minCount!: number;
  @Field(() => Float) leaseHours!: number;
  @Field(() => Date, { nullable: true }) leaseEndsAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
}

@InterfaceType('UserError', { description: 'An expected outcome the caller can act on' })
export abstract class UserError {
  @Field() code!: string;
  @Field() message!: string;
}

@ObjectType('QuotaExceededError', { implements: () => [UserError] })
export class QuotaExceededError implements UserError {
  @Field() code!: string;
  @Field() message!: string;
  @Field({ description: 'which limit: vcpus, memoryMiB, gpus, instances or coreHours' }) limit!: string;
  @Field(() => Float) requested!: number;
  @Field(() => Float) allowed!: number;
}

@ObjectType('InvalidRequestError', { implements: () => [UserError] })
export class InvalidRequestError implements UserError {
  @Field() code!: string;
  @Field() message!: string;
  @Field(() => String, { nullable: true }) field!: string | null;
}

export const SubmitRequestResult = createUnionType({
  name: 'SubmitRequestResult',
  types: () => [ResourceRequestView, QuotaExceededError, InvalidRequestError] as const,
  resolveType: (value: object) =>
    value instanceof QuotaExceededError ? QuotaExceededError : value instanceof InvalidRequestError ? InvalidRequestError : ResourceRequestView,
});

@InputType()
export class SubmitRequestInput {
  @Field(() => ID) projectId!: string;
  @Field({ description: 'logical image name' }) image!: string;
  @Field(() => Int, { description: 'per instance, at least' }) vcpus!: number;
  @Field(() => Int, { description: 'per instance, at least' }) memoryMiB!: number;
  @Field(() => Int, { nullable: true, description: 'per instance, at least' }) gpus?: number | null;
  @Field(() => Int, { nullable: true, description: 'wanted instances (default 1)' }) count?: number | null;
  @Field(() => Int, { nullable: true, description: 'gang: start nothing until at least this many can start together (default count)' })
  minCount?: number | null;
  @Field(() => Float) leaseHours!: number;
  @Field(() => [String], { nullable: true, description: 'allowed sites by name; unset = any' }) sites?: string[] | null;
  @Field(() => String, { nullable: true, description: 'cloud-init, passed to the site' }) userData?: string | null;
  @Field(() => String, { nullable: true, description: 'injected for the default user (merged into the cloud-init)' })
  sshPublicKey?: string | null;
  @Field(() => String, { nullable: true, description: 'the same key from the same principal returns the same request' })
  idempotencyKey?: string | null;
}

@ObjectType('PlanCandidate')
export class PlanCandidateView {
  @Field(() => SiteView) site!: SiteView;
  @Field() instanceType!: string;
  @Field(() => Int) rank!: number;
}

@ObjectType('RequestPlan')
export class RequestPlanView {
  @Field() feasible!: boolean;
  @Field(() => String, { nullable: true, description: 'what would hold it, in words' }) reason!: string | null;
  @Field(() => [PlanCandidateView], { description: 'in rank order' }) candidates!: PlanCandidateView[];
  @Field(() => Float) estimatedCoreHours!: number;
}
