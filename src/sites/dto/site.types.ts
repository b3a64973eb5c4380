import { Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { graphqlEnum } from '../../graphql/enums.js';
import type { SiteHealth } from '../entities/site.entity.js';

export const SiteHealthEnum = graphqlEnum<SiteHealth>('SiteHealth', ['UNKNOWN', 'HEALTHY', 'DEGRADED', 'DOWN']);

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

@ObjectType('Site', { description: 'An institution\'s EC2-compatible cloud, lending capacity to the federation' })
export class SiteView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() institution!: string;
  @Field() endpoint!: string;
  @Field() region!: string;
  @Field(() => SiteHealthEnum) health!: SiteHealth;
  @Field(() => CapacityView, { description: 'what the site lends to the federation' }) capacity!: CapacityView;
  @Field(() => [InstanceTypeView]) instanceTypes!: InstanceTypeView[];
  @Field(() => [ImageMappingView]) images!: ImageMappingView[];
  @Field(() => Float, { description: "share of capacity reserved for the site's own institution" }) homeShare!: number;
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
}
