import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { NOTIFICATION_KINDS, type NotificationKind } from '../../../common/notifier.js';
import { graphqlEnum } from '../../../graphql/enums.js';
import { GraphQLJSONObject } from '../../../graphql/json.scalar.js';

export const NotificationKindEnum = graphqlEnum<NotificationKind>(
  'NotificationKind',
  NOTIFICATION_KINDS,
  "BUDGET_50/80/100: that share of an allocation's budget is used; ALLOCATION_ENDING (SKYPOOL_ALLOCATION_WARNING_DAYS before) and ALLOCATION_ENDED; LEASE_ENDING; REQUEST_FAILED; SITE_DOWN (to its institution)",
);

@InputType()
export class RegisterWebhookInput {
  @Field(() => ID, { nullable: true, description: "the project whose notifications it hears (or give institution)" }) projectId?: string | null;
  @Field(() => String, { nullable: true, description: "the institution whose sites' and projects' notifications it hears" }) institution?: string | null;
  @Field({ description: 'http(s) URL that notifications are POSTed to, as JSON, signed (Skypool-Signature)' }) url!: string;
  @Field(() => [NotificationKindEnum], { nullable: true, description: 'the kinds it is sent (default: all)' }) kinds?: NotificationKind[] | null;
}

@ObjectType('Webhook')
export class WebhookView {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true }) projectId!: string | null;
  @Field(() => String, { nullable: true }) institution!: string | null;
  @Field() url!: string;
  @Field(() => [NotificationKindEnum], { description: 'the kinds it is sent; the others are turned off' }) kinds!: NotificationKind[];
  @Field(() => Date) createdAt!: Date;
}

@ObjectType('WebhookRegistration')
export class WebhookRegistrationView {
  @Field(() => WebhookView) webhook!: WebhookView;
  @Field({ description: 'the HMAC-SHA256 key of its signatures: shown only now, keep it with the receiver' }) secret!: string;
}

@ObjectType('Notification')
export class NotificationView {
  @Field(() => ID, { description: 'the Skypool-Event-Id its webhook deliveries carry' }) id!: string;
  @Field(() => NotificationKindEnum) kind!: NotificationKind;
  @Field(() => Date) at!: Date;
  @Field() subject!: string;
  @Field(() => ID, { nullable: true }) projectId!: string | null;
  @Field(() => String, { nullable: true }) institution!: string | null;
  @Field(() => GraphQLJSONObject) details!: Record<string, unknown>;
}

@ObjectType('NotificationPreference', { description: 'whether a kind of notification is in your e-mail digest' })
export class NotificationPreferenceView {
  @Field(() => NotificationKindEnum) kind!: NotificationKind;
  @Field() email!: boolean;
}
