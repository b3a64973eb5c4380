import { withFlagNames, type ApiClient } from './api-client.js';
import { printJson, table } from './output.js';
import { resolveProject, type OutputOptions } from './request-commands.js';

/** `skypool projects create --name N --institution I`. */
export async function createProject(api: ApiClient, input: { name: string; institution: string }, out: OutputOptions): Promise<void> {
  const { createProject } = await api.request<{ createProject: { id: string; name: string; institution: string } }>(
    'mutation($input: CreateProjectInput!) { createProject(input: $input) { id name institution } }',
    { input },
  );
  if (out.json) return printJson(createProject, out.print);
  out.print(`${createProject.id} project ${createProject.name} at ${createProject.institution}`);
}

const ALLOCATION_FIELDS = 'id vcpus memoryMiB gpus instances coreHours gpuHours startsAt endsAt revokedAt exhaustedAt terminateAfterMinutes';

interface AllocationView {
  id: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  instances: number | null;
  coreHours: number | null;
  gpuHours: number | null;
  startsAt: string | null;
  endsAt: string | null;
  revokedAt: string | null;
  exhaustedAt: string | null;
  terminateAfterMinutes: number | null;
}

/** What `allocations grant` and `allocations update` may set, already read from their flags. */
export interface AllocationFlags {
  vcpus?: number;
  memoryMiB?: number;
  gpus?: number;
  instances?: number;
  coreHours?: number;
  gpuHours?: number;
  startsAt?: string;
  endsAt?: string;
  terminateAfterMinutes?: number;
}

const FLAG_OF_ALLOCATION_FIELD: Record<string, string> = {
  vcpus: '--vcpus',
  memoryMiB: '--memory',
  gpus: '--gpus',
  instances: '--instances',
  coreHours: '--core-hours',
  gpuHours: '--gpu-hours',
  startsAt: '--starts',
  endsAt: '--ends',
  terminateAfterMinutes: '--terminate-after',
};

function printAllocations(allocations: AllocationView[], out: OutputOptions): void {
  if (allocations.length === 0) return out.print('no allocations');
  const when = (at: string | null) => (at ? at.slice(0, 10) : '');
  const status = (a: AllocationView) => (a.revokedAt ? `revoked ${when(a.revokedAt)}` : a.exhaustedAt ? `budget spent ${when(a.exhaustedAt)}` : 'active');
  const rows = allocations.map((a) => [a.id, `${a.vcpus}`, `${a.memoryMiB}`, `${a.gpus}`, a.coreHours === null ? 'unlimited' : `${a.coreHours}`, when(a.startsAt), when(a.endsAt), status(a)]);
  for (const line of table(['ID', 'VCPUS', 'MEMORY MIB', 'GPUS', 'CORE-HOURS', 'STARTS', 'ENDS', 'STATUS'], rows)) out.print(line);
}

/** `skypool allocations list --project P`. */
export async function listAllocations(api: ApiClient, projectText: string, out: OutputOptions): Promise<void> {
  const project = await resolveProject(api, projectText);
  const { projects } = await api.request<{ projects: { id: string; allocations: AllocationView[] }[] }>(`{ projects { id allocations { ${ALLOCATION_FIELDS} } } }`);
  const allocations = projects.find((p) => p.id === project.id)?.allocations ?? [];
  if (out.json) return printJson(allocations, out.print);
  printAllocations(allocations, out);
}

/** `skypool allocations grant --project P --vcpus N --memory SIZE ...`. */
export async function grantAllocation(api: ApiClient, projectText: string, flags: AllocationFlags, out: OutputOptions): Promise<void> {
  const project = await resolveProject(api, projectText);
  const { grantAllocation } = await withFlagNames(
    api.request<{ grantAllocation: AllocationView }>(`mutation($input: GrantAllocationInput!) { grantAllocation(input: $input) { ${ALLOCATION_FIELDS} } }`, {
      input: { projectId: project.id, ...flags },
    }),
    FLAG_OF_ALLOCATION_FIELD,
  );
  if (out.json) return printJson(grantAllocation, out.print);
  printAllocations([grantAllocation], out);
}

/** `skypool allocations update ID ...`: what is left out stays. */
export async function updateAllocation(api: ApiClient, id: string, flags: AllocationFlags, out: OutputOptions): Promise<void> {
  const { updateAllocation } = await withFlagNames(
    api.request<{ updateAllocation: AllocationView }>(`mutation($input: UpdateAllocationInput!) { updateAllocation(input: $input) { ${ALLOCATION_FIELDS} } }`, { input: { id, ...flags } }),
    FLAG_OF_ALLOCATION_FIELD,
  );
  if (out.json) return printJson(updateAllocation, out.print);
  printAllocations([updateAllocation], out);
}

/** `skypool allocations revoke ID [--terminate-after D]`. */
export async function revokeAllocation(api: ApiClient, id: string, terminateAfterMinutes: number | undefined, out: OutputOptions): Promise<void> {
  const { revokeAllocation } = await withFlagNames(
    api.request<{ revokeAllocation: AllocationView }>(`mutation($id: ID!, $t: Int) { revokeAllocation(id: $id, terminateAfterMinutes: $t) { ${ALLOCATION_FIELDS} } }`, { id, t: terminateAfterMinutes }),
    FLAG_OF_ALLOCATION_FIELD,
  );
  if (out.json) return printJson(revokeAllocation, out.print);
  printAllocations([revokeAllocation], out);
}

interface MemberView {
  role: string;
  source: string;
  user: { id: string; email: string | null; displayName: string | null };
}

/** `skypool members list --project P`. */
export async function listMembers(api: ApiClient, projectText: string, out: OutputOptions): Promise<void> {
  const project = await resolveProject(api, projectText);
  const { projects } = await api.request<{ projects: { id: string; members: MemberView[] }[] }>('{ projects { id members { role source user { id email displayName } } } }');
  const members = projects.find((p) => p.id === project.id)?.members ?? [];
  if (out.json) return printJson(members, out.print);
  if (members.length === 0) return out.print('no members');
  const rows = members.map((m) => [m.user.displayName ?? '', m.user.email ?? '', m.role, m.source, m.user.id]);
  for (const line of table(['NAME', 'EMAIL', 'ROLE', 'SOURCE', 'USER ID'], rows)) out.print(line);
}

/** `skypool members add --project P (--user ID | --email E) --role R`. */
export async function addMember(api: ApiClient, projectText: string, who: { userId?: string; email?: string }, role: string, out: OutputOptions): Promise<void> {
  const project = await resolveProject(api, projectText);
  const { addProjectMember } = await api.request<{ addProjectMember: MemberView }>(
    'mutation($input: AddProjectMemberInput!) { addProjectMember(input: $input) { role source user { id email displayName } } }',
    { input: { projectId: project.id, role: role.toUpperCase(), ...who } },
  );
  if (out.json) return printJson(addProjectMember, out.print);
  out.print(`${addProjectMember.user.email ?? addProjectMember.user.id} is ${addProjectMember.role} of ${project.name}`);
}

/** `skypool members remove --project P --user ID`. */
export async function removeMember(api: ApiClient, projectText: string, userId: string, out: OutputOptions): Promise<void> {
  const project = await resolveProject(api, projectText);
  const { removeProjectMember } = await api.request<{ removeProjectMember: boolean }>('mutation($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) }', { p: project.id, u: userId });
  if (out.json) return printJson({ removed: removeProjectMember }, out.print);
  out.print(removeProjectMember ? `${userId} removed from ${project.name}` : `${userId} had no role given in ${project.name} (one from the identity provider's claims stays)`);
}

interface TokenView {
  id: string;
  name: string;
  kind: string;
  role: string;
  projectId: string | null;
  institution: string | null;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const TOKEN_FIELDS = 'id name kind role projectId institution createdBy createdAt expiresAt lastUsedAt revokedAt';

/** `skypool tokens list`: the tokens you made (federation admins: all), never their values. */
export async function listTokens(api: ApiClient, out: OutputOptions): Promise<void> {
  const { apiTokens } = await api.request<{ apiTokens: TokenView[] }>(`{ apiTokens { ${TOKEN_FIELDS} } }`);
  if (out.json) return printJson(apiTokens, out.print);
  if (apiTokens.length === 0) return out.print('no tokens');
  const day = (at: string | null) => (at ? at.slice(0, 10) : '');
  const rows = apiTokens.map((t) => [t.id, t.name, t.kind, t.role, day(t.expiresAt), day(t.lastUsedAt), t.revokedAt ? `revoked ${day(t.revokedAt)}` : 'active']);
  for (const line of table(['ID', 'NAME', 'KIND', 'ROLE', 'EXPIRES', 'LAST USED', 'STATUS'], rows)) out.print(line);
}

/** `skypool tokens create --name N --role R [--project P] [--institution I] [--expires-in D]`: the token is printed once. */
export async function createToken(
  api: ApiClient,
  input: { name: string; role: string; project?: string; institution?: string; expiresInDays?: number },
  out: OutputOptions,
): Promise<void> {
  const projectId = input.project === undefined ? undefined : (await resolveProject(api, input.project)).id;
  const { createServiceAccount } = await api.request<{ createServiceAccount: { token: string; expiresAt: string | null } }>(
    'mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { token expiresAt } }',
    { input: { name: input.name, role: input.role.toUpperCase(), projectId, institution: input.institution, expiresInDays: input.expiresInDays } },
  );
  if (out.json) return printJson(createServiceAccount, out.print);
  out.print(createServiceAccount.token);
  process.stderr.write(`the token above is shown this once${createServiceAccount.expiresAt ? `; it expires ${createServiceAccount.expiresAt}` : ''}\n`);
}

/** `skypool tokens revoke ID`. */
export async function revokeToken(api: ApiClient, id: string, out: OutputOptions): Promise<void> {
  const { revokeApiToken } = await api.request<{ revokeApiToken: TokenView }>(`mutation($id: ID!) { revokeApiToken(id: $id) { ${TOKEN_FIELDS} } }`, { id });
  if (out.json) return printJson(revokeApiToken, out.print);
  out.print(`${id} (${revokeApiToken.name}) revoked`);
}

/** `skypool audit [--action A] [--limit N]`: recent administrative changes, newest first. */
export async function audit(api: ApiClient, filters: { action?: string; limit: number }, out: OutputOptions): Promise<void> {
  const { auditEvents } = await api.request<{ auditEvents: { id: string; at: string; action: string; actorName: string; targetType: string; targetId: string }[] }>(
    'query($a: String, $n: Int) { auditEvents(action: $a, first: $n) { id at action actorName targetType targetId } }',
    { a: filters.action, n: filters.limit },
  );
  if (out.json) return printJson(auditEvents, out.print);
  if (auditEvents.length === 0) return out.print('no events');
  const rows = auditEvents.map((e) => [e.at.replace('T', ' ').slice(0, 19), e.action, e.actorName, `${e.targetType} ${e.targetId}`]);
  for (const line of table(['AT', 'ACTION', 'BY', 'TARGET'], rows)) out.print(line);
}
