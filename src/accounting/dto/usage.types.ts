import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { graphqlEnum } from '../../graphql/enums.js';
import { USAGE_GROUPINGS, type UsageGrouping } from '../usage-reports.js';

export const UsageGroupingEnum = graphqlEnum<UsageGrouping>('UsageGrouping', USAGE_GROUPINGS, "what a usage report's rows are per; INSTITUTION is the project's institution (who used it)");

@ObjectType('UsageRow', { description: 'charged usage of one group in the period: the minutes that started inside it (per started minute, as budgets are charged)' })
export class UsageRowView {
  /** for the project field (grouped by PROJECT) */
  projectId!: string | null;
  /** for the site field (grouped by SITE) */
  siteId!: string | null;
  @Field(() => String, { nullable: true, description: "the project's institution (grouped by INSTITUTION)" }) institution!: string | null;
  @Field(() => String, { nullable: true, description: 'YYYY-MM, UTC (grouped by MONTH)' }) month!: string | null;
  @Field(() => String, { nullable: true }) image!: string | null;
  @Field(() => String, { nullable: true }) instanceType!: string | null;
  @Field(() => Float, { description: 'vCPU-hours' }) coreHours!: number;
  @Field(() => Float) gpuHours!: number;
  @Field(() => Float, { description: 'hours of instances, whatever their size' }) instanceHours!: number;
  @Field(() => Int, { description: 'instances that ran in the period' }) instances!: number;
}

@ObjectType('InstitutionBalance', { description: "what an institution's sites gave to other institutions' projects, and what its projects took at other institutions' sites" })
export class InstitutionBalanceView {
  @Field() institution!: string;
  @Field(() => Float, { description: "core-hours its sites ran for other institutions' projects" }) lentCoreHours!: number;
  @Field(() => Float, { description: "core-hours its projects ran at other institutions' sites" }) borrowedCoreHours!: number;
  @Field(() => Float, { description: 'lent less borrowed: above 0, it gives more than it takes' }) netCoreHours!: number;
}
