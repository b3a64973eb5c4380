import { Field, ID, ObjectType } from '@nestjs/graphql';
import { GraphQLJSONObject } from '../../graphql/json.scalar.js';

@ObjectType('AuditEvent', { description: 'An administrative change: who, what, before and after (secrets redacted), when' })
export class AuditEventView {
  @Field(() => ID) id!: string;
  @Field(() => Date) at!: Date;
  @Field() actorId!: string;
  @Field() actorName!: string;
  @Field({ description: 'e.g. site.register, project.create, allocation.grant, serviceAccount.create' }) action!: string;
  @Field() targetType!: string;
  @Field() targetId!: string;
  @Field(() => GraphQLJSONObject, { nullable: true }) before!: Record<string, unknown> | null;
  @Field(() => GraphQLJSONObject, { nullable: true }) after!: Record<string, unknown> | null;
}
