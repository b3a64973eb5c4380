import { withFlagNames, type ApiClient } from './api-client.js';
import { UsageError } from './cli-error.js';
import { printJson, table } from './output.js';
import { resolveProject, type OutputOptions } from './request-commands.js';

export const NOTIFICATION_KINDS = ['BUDGET_50', 'BUDGET_80', 'BUDGET_100', 'ALLOCATION_ENDING', 'ALLOCATION_ENDED', 'LEASE_ENDING', 'REQUEST_FAILED', 'SITE_DOWN'];

/** `--kind budget_80` (repeatable): a kind as the API names it. */
export function parseKind(value: string, previous: string[] = []): string[] {
  const kind = value.toUpperCase().replace(/-/g, '_');
  if (!NOTIFICATION_KINDS.includes(kind)) throw new UsageError(`--kind: one of ${NOTIFICATION_KINDS.join(', ')} (got ${JSON.stringify(value)})`);
  return [...previous, kind];
}

/** Whose webhooks: a project (by name or id) or an institution. */
export interface WebhookScopeFlags {
  project?: string;
  institution?: string;
}

interface WebhookView {
  id: string;
  projectId: string | null;
  institution: string | null;
  url: string;
  kinds: string[];
}

const WEBHOOK_FIELDS = 'id projectId institution url kinds';
const FLAG_OF_FIELD = { projectId: '--project', institution: '--institution', url: '--to', kinds: '--kind' };

async function scopeOf(api: ApiClient, flags: WebhookScopeFlags): Promise<{ projectId: string | null; institution: string | null }> {
  if ((flags.project === undefined) === (flags.institution === undefined)) throw new UsageError('give --project or --institution (one of them)');
  return { projectId: flags.project === undefined ? null : (await resolveProject(api, flags.project)).id, institution: flags.institution ?? null };
}

function printWebhooks(webhooks: WebhookView[], out: OutputOptions): void {
  if (webhooks.length === 0) return out.print('no webhooks');
  for (const line of table(['ID', 'URL', 'KINDS'], webhooks.map((w) => [w.id, w.url, w.kinds.join(',')]))) out.print(line);
}

/** `skypool webhooks add`: prints the webhook and its secret, which is shown only now. */
export async function addWebhook(api: ApiClient, flags: WebhookScopeFlags & { to: string; kind?: string[] }, out: OutputOptions): Promise<void> {
  const scope = await scopeOf(api, flags);
  const { registerWebhook } = await withFlagNames(
    api.request<{ registerWebhook: { secret: string; webhook: WebhookView } }>(`mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret webhook { ${WEBHOOK_FIELDS} } } }`, {
      i: { ...scope, url: flags.to, kinds: flags.kind ?? null },
    }),
    FLAG_OF_FIELD,
  );
  if (out.json) return printJson(registerWebhook, out.print);
  printWebhooks([registerWebhook.webhook], out);
  out.print(`secret (shown only now; the receiver checks Skypool-Signature with it): ${registerWebhook.secret}`);
}

export async function listWebhooks(api: ApiClient, flags: WebhookScopeFlags, out: OutputOptions): Promise<void> {
  const scope = await scopeOf(api, flags);
  const { webhooks } = await api.request<{ webhooks: WebhookView[] }>(`query($p: ID, $i: String) { webhooks(projectId: $p, institution: $i) { ${WEBHOOK_FIELDS} } }`, { p: scope.projectId, i: scope.institution });
  if (out.json) return printJson(webhooks, out.print);
  printWebhooks(webhooks, out);
}

export async function setWebhookKinds(api: ApiClient, id: string, kinds: string[], out: OutputOptions): Promise<void> {
  const { setWebhookKinds } = await withFlagNames(
    api.request<{ setWebhookKinds: WebhookView }>(`mutation($id: ID!, $k: [NotificationKind!]!) { setWebhookKinds(id: $id, kinds: $k) { ${WEBHOOK_FIELDS} } }`, { id, k: kinds }),
    FLAG_OF_FIELD,
  );
  if (out.json) return printJson(setWebhookKinds, out.print);
  printWebhooks([setWebhookKinds], out);
}

export async function removeWebhook(api: ApiClient, id: string, out: OutputOptions): Promise<void> {
  const { deleteWebhook } = await api.request<{ deleteWebhook: WebhookView }>(`mutation($id: ID!) { deleteWebhook(id: $id) { ${WEBHOOK_FIELDS} } }`, { id });
  if (out.json) return printJson(deleteWebhook, out.print);
  out.print(`removed webhook ${deleteWebhook.id} (${deleteWebhook.url})`);
}

/** `skypool notifications`: the recent ones you may see, newest first. */
export async function listNotifications(api: ApiClient, limit: number, out: OutputOptions): Promise<void> {
  const { notifications } = await api.request<{ notifications: { id: string; at: string; kind: string; subject: string }[] }>('query($n: Int) { notifications(first: $n) { id at kind subject } }', { n: limit });
  if (out.json) return printJson(notifications, out.print);
  if (notifications.length === 0) return out.print('no notifications');
  for (const line of table(['AT', 'KIND', 'SUBJECT'], notifications.map((n) => [n.at.replace('T', ' ').slice(0, 19), n.kind, n.subject]))) out.print(line);
}
