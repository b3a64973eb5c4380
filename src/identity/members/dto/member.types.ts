import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { ProjectView } from '../../../allocations/dto/project.types.js';
import { RoleEnum } from '../../dto/identity.types.js';
import type { Role } from '../../principal.js';

@ObjectType('User', { description: 'A person who has logged in through an identity provider' })
export class UserView {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) displayName!: string | null;
}

@ObjectType('ProjectMember')
export class ProjectMemberView {
  @Field(() => UserView) user!: UserView;
  @Field(() => RoleEnum) role!: Role;
  @Field({ description: "'manual' (added by a manager or admin) or 'claims' (from the identity provider at login)" }) source!: string;
}

@InputType()
export class AddProjectMemberInput {
  @Field(() => ID) projectId!: string;
  @Field(() => ID, { nullable: true, description: 'the user, by id; or give email' }) userId?: string | null;
  @Field(() => String, { nullable: true, description: 'the user, by the email their identity provider gave' }) email?: string | null;
  @Field(() => RoleEnum, { description: 'RESEARCHER or PROJECT_MANAGER' }) role!: Role;
}

@ObjectType('RoleGrant', { description: 'A role held in a scope: a project, an institution, or the whole federation' })
export class RoleGrantView {
  @Field(() => RoleEnum) role!: Role;
  @Field(() => ProjectView, { nullable: true }) project!: ProjectView | null;
  @Field(() => String, { nullable: true }) institution!: string | null;
}

@ObjectType('Me', { description: 'Who is calling' })
export class MeView {
  @Field() id!: string;
  @Field({ description: 'user, service-account or bootstrap-admin' }) kind!: string;
  @Field() name!: string;
  @Field(() => [RoleGrantView]) roles!: RoleGrantView[];
  @Field(() => [ProjectView], { description: 'the projects you may act in' }) projects!: ProjectView[];
}
