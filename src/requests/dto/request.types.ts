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
  @Field(() => Date, { nullable: true, description: 'when the site first reported it running: its run time is charged from then, per started minute' }) startedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'when it stopped running (terminated, failed or vanished)' }) endedAt!: Date | null;
  @Field({ description: "placed on the unused home share of another institution's site" }) borrowed!: boolean;
}

@ObjectType('SiteVerdict', { description: 'how one site stands for a request, like condor_q -better-analyze' })
export class SiteVerdictView {
  siteId!: string;
  @Field({ description: 'FITS, or the first filter the site failed: NOT_ALLOWED, NO_IMAGE, NO_INSTANCE_TYPE, MISSING_LABEL, SITE_DOWN, SITE_DRAINING, COOL_DOWN, QUOTA, BUDGET, SITE_CAPACITY, HOME_SHARE, RESERVED (it holds the room for a gang that has waited longest)' })
  verdict!: string;
  @Field({ description: 'in words' }) reason!: string;
  @Field(() => String, { nullable: true, description: 'the instance type the site would use' }) instanceType!: string | null;
  @Field(() => Int, { description: 'instances that would start there now' }) fits!: number;
  @Field(() => Int, { description: 'of those, how many on borrowed home share' }) borrowed!: number;
}

@ObjectType('QuotaUse', { description: "one of the project's limits, with what this request would add" })
export class QuotaUseView {
  @Field({ description: 'vcpus, memoryMiB, gpus, instances, coreHours or gpuHours' }) limit!: string;
  @Field(() => Float, { description: 'in use now (for budgets: charged plus promised to running leases)' }) inUse!: number;
  @Field(() => Float) requested!: number;
  @Field(() => Float, { nullable: true, description: 'null: unlimited' }) allowed!: number | null;
}

@ObjectType('Tag', { description: 'a label of the submitter, copied onto the instances at the site' })
export class TagView {
  @Field() key!: string;
  @Field() value!: string;
}

@InputType()
export class TagInput {
  @Field({ description: "1-128 letters, digits, spaces and _.:/=+-@; keys starting with skypool: or aws: are reserved" }) key!: string;
  @Field({ description: 'up to 256 characters, no control characters' }) value!: string;
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
  @Field(() => [String], { nullable: true, description: 'allowed sites; null: any' }) sites!: string[] | null;
  @Field(() => [String], { description: 'site labels required, key=value or key' }) requirements!: string[];
  @Field(() => [String]) preferredSites!: string[];
  @Field() spanSites!: boolean;
  @Field(() => [TagView], { description: 'sorted by key' }) tags!: TagView[];
  @Field(() => Date, { nullable: true }) leaseEndsAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType('RequestEvent', { description: "one step in a request's history: a state change of the request or of one of its instances, or a notice" })
export class RequestEventView {
  @Field(() => Date) at!: Date;
  @Field({ description: 'REQUEST_STATE, INSTANCE_STATE, or a notice: LEASE_ENDING, LEASE_EXTENDED, NOTE (added with addRequestNote)' }) kind!: string;
  @Field(() => String, { nullable: true, description: 'for state changes: the state before (none for the first, PENDING)' }) fromState!: string | null;
  @Field(() => String, { nullable: true, description: 'for state changes: the state after' }) toState!: string | null;
  @Field(() => String, { nullable: true, description: 'why, in words' }) reason!: string | null;
  @Field(() => String, { nullable: true }) reasonCode!: string | null;
  @Field(() => ID, { nullable: true, description: 'for INSTANCE_STATE: which instance' }) instanceId!: string | null;
  siteId!: string | null;
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
  @Field(() => [String], { nullable: true, description: 'site labels the sites must have: key=value, or key for any value (e.g. gpu=a100)' })
  requirements?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'sites to rank first among equally good ones, in this order' }) preferredSites?: string[] | null;
  @Field(() => Boolean, { nullable: true, description: 'may its instances be spread over several sites (default false)' }) spanSites?: boolean | null;
  @Field(() => String, { nullable: true, description: 'cloud-init, passed to the site' }) userData?: string | null;
  @Field(() => String, { nullable: true, description: 'injected for the default user (merged into the cloud-init)' })
  sshPublicKey?: string | null;
  @Field(() => String, { nullable: true, description: 'the same key from the same principal returns the same request' })
  idempotencyKey?: string | null;
  @Field(() => [TagInput], { nullable: true, description: 'labels of yours, copied onto its instances at the site (at most 10)' }) tags?: TagInput[] | null;
}

@ObjectType('PlanCandidate')
export class PlanCandidateView {
  @Field(() => SiteView) site!: SiteView;
  @Field() instanceType!: string;
  @Field(() => Int) rank!: number;
  @Field(() => Int, { description: 'instances that would start there' }) count!: number;
  @Field({ description: "on the unused home share of another institution's site" }) borrowed!: boolean;
}

@ObjectType('RequestPlan')
export class RequestPlanView {
  @Field({ description: 'false only when it could never run as asked (it would be refused)' }) feasible!: boolean;
  @Field(() => String, { nullable: true, description: 'what would hold it, in words' }) reason!: string | null;
  @Field(() => String, { nullable: true, description: 'what would hold it, as a code (QUOTA, BUDGET, NO_IMAGE, SITE_CAPACITY, HOME_SHARE, ...)' })
  reasonCode!: string | null;
  @Field(() => [PlanCandidateView], { description: 'in rank order' }) candidates!: PlanCandidateView[];
  @Field(() => Float) estimatedCoreHours!: number;
  @Field(() => Float) estimatedGpuHours!: number;
  @Field(() => [QuotaUseView], { description: "the project's limits and budgets with what this request would add" }) quota!: QuotaUseView[];
  @Field(() => String, { nullable: true, description: 'the limit that binds: the one this request would exceed, or else the one it leaves least of' })
  bindingLimit!: string | null;
  @Field(() => [SiteVerdictView], { description: 'every site: those that fit first, in rank order' }) explain!: SiteVerdictView[];
}
