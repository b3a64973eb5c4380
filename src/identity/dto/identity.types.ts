import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { graphqlEnum } from '../../graphql/enums.js';
import { ROLES, type Role } from '../principal.js';

export const RoleEnum = graphqlEnum<Role>('Role', ROLES);

@InputType()
export class CreateServiceAccountInput {
  @Field() name!: string;
  @Field(() => RoleEnum) role!: Role;
  @Field(() => ID, { nullable: true }) projectId?: string | null;
  @Field(() => String, { nullable: true }) institution?: string | null;
  @Field(() => Int, { nullable: true, description: 'unset: SKYPOOL_SERVICE_ACCOUNT_DEFAULT_DAYS (90 unless set); at most SKYPOOL_SERVICE_ACCOUNT_MAX_DAYS (365); made with a token, never after it' })
  expiresInDays?: number | null;
}

@ObjectType('CreatedApiToken', { description: 'The token is shown once' })
export class CreatedApiToken {
  @Field() token!: string;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
}

@InputType()
export class CreateApiTokenInput {
  @Field() name!: string;
  @Field(() => ID, { nullable: true, description: 'only your roles in this project; unset: all your projects' }) projectId?: string | null;
  @Field(() => [String], { nullable: true, description: 'the only operations (root fields, e.g. submitRequest) the token may call; unset: any' })
  operations?: string[] | null;
  @Field(() => RoleEnum, { nullable: true, description: 'the highest of your roles the token carries; default RESEARCHER' }) role?: Role | null;
  @Field(() => Int, { nullable: true, description: 'default 90, at most 3650; made with a token, never after it' }) expiresInDays?: number | null;
}

@ObjectType('ApiToken', { description: 'An API token, without its secret value' })
export class ApiTokenView {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({ description: "a user's own token, or a service account's" }) kind!: string;
  @Field(() => RoleEnum) role!: Role;
  @Field(() => ID, { nullable: true }) projectId!: string | null;
  @Field(() => String, { nullable: true }) institution!: string | null;
  @Field(() => [String], { nullable: true }) operations!: string[] | null;
  @Field() createdBy!: string;
  @Field(() => ID, { nullable: true, description: 'the token it was made with, if any: revoking that one revoked this one' }) parentTokenId!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => Date, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
}
