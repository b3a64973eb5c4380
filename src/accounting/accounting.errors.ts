import { DomainError } from '../common/errors.js';

/** What the accounting domain (webhooks, notifications) refuses, by name; graphql/format-error.ts maps each to the API's code. */
export enum AccountingErrorCode {
  WebhookNotFound = 'WEBHOOK_NOT_FOUND',
  /** a URL that is not http(s), or a webhook that names both or neither of a project and an institution */
  InvalidWebhook = 'WEBHOOK_INVALID',
}

export class AccountingError extends DomainError<AccountingErrorCode> {
  static webhookNotFound(id: string): AccountingError {
    return new AccountingError(AccountingErrorCode.WebhookNotFound, `webhook ${id} does not exist`);
  }
}
