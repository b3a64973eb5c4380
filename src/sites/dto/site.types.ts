import { Field, Float, ID, InputType, Int, ObjectType, OmitType, PartialType } from '@nestjs/graphql';
import { graphqlEnum } from '../../graphql/enums.js';
import type { SiteHealth, TagMode } from '../entities/site.entity.js';
import type { SiteChangeAction } from '../sites.service.js';

export const SiteHealthEnum = graphqlEnum<SiteHealth>('SiteHealth', ['UNKNOWN', 'HEALTHY', 'DEGRADED', 'DOWN']);
export const TagModeEnum = graphqlEnum<TagMode>('TagMode', ['ON_CREATE', 'AFTER_CREATE']);
export const SiteChangeActionEnum = graphqlEnum<SiteChangeAction>('SiteChangeAction', ['CREATE', 'UPDATE', 'UNCHANGED']);

@ObjectType('Capacity')
export class CapacityView {
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int) gpus!: number;
  @Field(() => Int, { nullable: true }) instances!: number | null;
}

@ObjectType('InstanceType')
export class InstanceTypeView {
  @Field() name!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int) gpus!: number;
}

@ObjectType('ImageMapping')
export class ImageMappingView {
  @Field({ description: 'logical image name, as requests name it' }) image!: string;
  @Field({ description: "the site's own image id" }) imageId!: string;
}

@ObjectType('SiteLabel', { description: 'e.g. gpu=a100 or network=infiniband; requests can require labels' })
export class SiteLabelView {
  @Field() key!: string;
  @Field() value!: string;
}

@ObjectType('NetworkSettings', { description: 'what RunInstances asks for on the site network; unset: the site default' })
export class NetworkSettingsView {
  @Field(() => [String]) securityGroupIds!: string[];
  @Field(() => String, { nullable: true }) subnetId!: string | null;
  @Field(() => String, { nullable: true }) keyName!: string | null;
  @Field(() => Boolean, { nullable: true, description: 'ask for a public address (null: the subnet default)' }) associatePublicIp!: boolean | null;
}

@ObjectType('SiteHealthReport', { description: 'the last probe or call to the site and what it showed' })
export class SiteHealthReportView {
  @Field(() => SiteHealthEnum) state!: SiteHealth;
  @Field(() => Date, { description: 'when the site entered this state' }) since!: Date;
  @Field(() => Date, { nullable: true }) checkedAt!: Date | null;
  @Field(() => Int, { nullable: true, description: 'latency of the last successful probe' }) latencyMs!: number | null;
  /** `lastError` as stored (see healthErrorFor), and the site's institution: `lastError` depends on who asks. */
  storedError!: string | null;
  institution!: string;
  @Field(() => Int) consecutiveFailures!: number;
  @Field({ description: 'DOWN: the allocator places nothing here until a probe succeeds' }) circuitOpen!: boolean;
  @Field(() => Int, {
    description: 'successful answers the broker could not read (HTTP 200 in an EC2 dialect the SDK does not parse); not counted as failures: what they did is looked up',
  })
  malformedReplies!: number;
  @Field(() => String, { nullable: true, description: 'when the site sends replies the broker cannot read: the last one, in words' }) lastMalformedReply!: string | null;
  @Field(() => Date, { nullable: true }) lastMalformedReplyAt!: Date | null;
}

@ObjectType('Site', { description: "An institution's EC2-compatible cloud, lending capacity to the federation" })
export class SiteView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() institution!: string;
  @Field() endpoint!: string;
  @Field() region!: string;
  @Field(() => [String], { description: 'the zones the site is expected to offer (checked by the health probe)' }) availabilityZones!: string[];
  @Field(() => SiteHealthEnum) health!: SiteHealth;
  @Field(() => SiteHealthReportView) healthReport!: SiteHealthReportView;
  @Field(() => CapacityView, { description: 'what the site lends to the federation' }) capacity!: CapacityView;
  @Field(() => [InstanceTypeView]) instanceTypes!: InstanceTypeView[];
  @Field(() => [ImageMappingView]) images!: ImageMappingView[];
  @Field(() => Float, { description: "share of capacity reserved for the site's own institution" }) homeShare!: number;
  @Field({ description: 'whether other institutions may borrow the home share while it is unused' }) lendsHomeShare!: boolean;
  @Field(() => [SiteLabelView]) labels!: SiteLabelView[];
  @Field(() => NetworkSettingsView) network!: NetworkSettingsView;
  @Field(() => TagModeEnum, { description: 'tags in RunInstances, or by CreateTags after it (clouds without TagSpecifications)' }) tagMode!: TagMode;
  @Field({ description: 'draining: no new placements; running leases finish' }) draining!: boolean;
  @Field(() => Date, { nullable: true }) drainingSince!: Date | null;
  @Field(() => Date, { nullable: true, description: 'removed from the federation (kept for the history of its instances)' }) removedAt!: Date | null;
  @Field({ description: 'served by the bundled site emulator' }) emulated!: boolean;
}

@InputType()
export class CapacityInput {
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int, { nullable: true }) gpus?: number | null;
  @Field(() => Int, { nullable: true }) instances?: number | null;
}

@InputType()
export class InstanceTypeInput {
  @Field() name!: string;
  @Field(() => Int) vcpus!: number;
  @Field(() => Int) memoryMiB!: number;
  @Field(() => Int, { nullable: true }) gpus?: number | null;
}

@InputType()
export class ImageMappingInput {
  @Field() image!: string;
  @Field() imageId!: string;
}

@InputType()
export class SiteLabelInput {
  @Field() key!: string;
  @Field() value!: string;
}

@InputType()
export class NetworkSettingsInput {
  @Field(() => [String], { nullable: true }) securityGroupIds?: string[] | null;
  @Field(() => String, { nullable: true }) subnetId?: string | null;
  @Field(() => String, { nullable: true }) keyName?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'needs subnetId' }) associatePublicIp?: boolean | null;
}

@InputType()
export class RegisterSiteInput {
  @Field({ description: 'unique, [a-z0-9-]{2,63}' }) name!: string;
  @Field() institution!: string;
  @Field({ description: "the site's EC2-compatible endpoint URL" }) endpoint!: string;
  @Field() region!: string;
  @Field() accessKeyId!: string;
  @Field({ description: 'write-only: never readable again' }) secretAccessKey!: string;
  @Field(() => CapacityInput, { description: 'what the site lends to the federation' }) capacity!: CapacityInput;
  @Field(() => [InstanceTypeInput]) instanceTypes!: InstanceTypeInput[];
  @Field(() => [ImageMappingInput], { description: "logical image name -> the site's image id" }) images!: ImageMappingInput[];
  @Field(() => Float, { nullable: true, description: "0..1 of capacity reserved for the site's own institution; default 0" })
  homeShare?: number | null;
  @Field(() => Boolean, { nullable: true, description: 'lend the unused home share to other institutions; default false' }) lendsHomeShare?: boolean | null;
  @Field(() => [String], { nullable: true }) availabilityZones?: string[] | null;
  @Field(() => [SiteLabelInput], { nullable: true }) labels?: SiteLabelInput[] | null;
  @Field(() => NetworkSettingsInput, { nullable: true }) network?: NetworkSettingsInput | null;
  @Field(() => TagModeEnum, { nullable: true, description: 'default ON_CREATE' }) tagMode?: TagMode | null;
}

@InputType({ description: 'the settings to change; what is left out stays as it is. The name cannot change.' })
export class UpdateSiteInput extends PartialType(OmitType(RegisterSiteInput, ['name'] as const), InputType) {
  @Field(() => ID) id!: string;
}

@InputType({ description: 'one site descriptor, as `skypool sites apply` reads it from a YAML file' })
export class SiteDescriptorInput extends RegisterSiteInput {
  @Field({ nullable: true, description: 'the file it came from, for messages' }) file?: string;
  @Field(() => String, { nullable: true, description: 'the env:NAME or file:PATH reference accessKeyId was read from; the audit log keeps it instead of the value' })
  accessKeyIdReference?: string | null;
}

@InputType()
export class ApplySitesInput {
  @Field(() => [SiteDescriptorInput]) sites!: SiteDescriptorInput[];
  @Field({ nullable: true, description: 'show what would change and change nothing' }) dryRun?: boolean;
  @Field({
    nullable: true,
    description: 'apply even sites that cannot be reached or refuse the credentials; default false: every site is probed first, and one that fails stops the whole apply (BAD_USER_INPUT naming its endpoint or accessKeyId)',
  })
  allowUnhealthy?: boolean;
}

@ObjectType('SiteChange')
export class SiteChangeView {
  @Field() name!: string;
  @Field(() => SiteChangeActionEnum) action!: SiteChangeAction;
  @Field(() => [String], { description: 'the settings that differ (secrets by name only)' }) fields!: string[];
  @Field(() => SiteView, { nullable: true, description: 'the site as it is now (null for a site a dry run would create)' }) site!: SiteView | null;
}

@ObjectType('SitesApplyResult')
export class SitesApplyResultView {
  @Field() dryRun!: boolean;
  @Field(() => [SiteChangeView]) changes!: SiteChangeView[];
}
