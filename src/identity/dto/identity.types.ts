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
  @Field(() => Int, { nullable: true }) expiresInDays?: number | null;
}

@ObjectType('CreatedApiToken', { description: 'The token is shown once' })
export class CreatedApiToken {
  @Field() token!: string;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
}
