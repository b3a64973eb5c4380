import { SetMetadata } from '@nestjs/common';

/**
 * What an operation needs. Each is checked by one rule of the access policy (access-policy.ts),
 * against the scope its operation declares. Names say what the caller does, not who they are.
 */
export enum Permission {
  /** Read what every member of the federation may read: sites, the allocator's figures. */
  ReadFederation = 'ReadFederation',
  /** Read what is one's own (who one is, one's projects, one's tokens): the service scopes the answer. */
  ReadOwn = 'ReadOwn',
  ReadAuditLog = 'ReadAuditLog',
  /** Register or change a site of an institution. */
  ManageSites = 'ManageSites',
  /** Read a site's own error text (it may name hosts, accounts, internals); a field others get without it. */
  ReadSiteErrorText = 'ReadSiteErrorText',
  /** Apply site descriptors: each site is then checked on its own by the service. */
  ApplySiteDescriptors = 'ApplySiteDescriptors',
  CreateProject = 'CreateProject',
  /** Grant, change and revoke a project's allocations. */
  AdministerProject = 'AdministerProject',
  SetPriorityFactor = 'SetPriorityFactor',
  /** Submit, plan, see and follow the requests of a project. */
  ActInProject = 'ActInProject',
  CancelRequest = 'CancelRequest',
  ExtendLease = 'ExtendLease',
  ManageMembers = 'ManageMembers',
  CreateServiceAccount = 'CreateServiceAccount',
  CreateOwnToken = 'CreateOwnToken',
  RevokeToken = 'RevokeToken',
  /** Register webhooks and choose one's notifications: the service checks the project or institution named. */
  ManageNotifications = 'ManageNotifications',
}

/** Scopes found by looking a record up by its id: the owning domain registers the lookup (ScopeLookups). */
export type LookupKind = 'project' | 'allocation' | 'request' | 'site' | 'token' | 'workerPool';

/**
 * Where an operation's scope comes from. `path` names an argument (`id`, `input.projectId`).
 * - `anonymous`: anyone, signed in or not;
 * - `signed-in`: any authenticated caller; what they get is scoped by the service;
 * - `federation`: the federation as a whole: the rule looks at the caller's grants only;
 * - `institution`: an institution named by an argument;
 * - `service-account`: the role and project of a service account to make (an input object);
 * - a lookup kind: the record with that id, resolved to its project, institution or owner.
 *   `missing: 'service'`: a record that does not exist is the service's to answer (NOT_FOUND,
 *   or null); otherwise the guard answers NOT_FOUND. `absent: 'list'`: without the argument the
 *   operation names no record and lists only what the service lets the caller see.
 */
export type Scope =
  | { kind: 'anonymous' | 'signed-in' | 'federation' }
  | { kind: 'institution'; path: string }
  | { kind: 'service-account'; path: string }
  | { kind: LookupKind; path: string; missing?: 'service'; absent?: 'list' };

export type ScopeKind = Scope['kind'];
export type LookupScope = Extract<Scope, { kind: LookupKind }>;

const LOOKUP_KINDS = new Set<ScopeKind>(['project', 'allocation', 'request', 'site', 'token', 'workerPool']);

export function isLookupScope(scope: Scope): scope is LookupScope {
  return LOOKUP_KINDS.has(scope.kind);
}

type LookupOptions = { missing?: 'service'; absent?: 'list' };

export const Scope = {
  anonymous: (): Scope => ({ kind: 'anonymous' }),
  signedIn: (): Scope => ({ kind: 'signed-in' }),
  federation: (): Scope => ({ kind: 'federation' }),
  institution: (path: string): Scope => ({ kind: 'institution', path }),
  serviceAccount: (path: string): Scope => ({ kind: 'service-account', path }),
  project: (path: string, options: LookupOptions = {}): Scope => ({ kind: 'project', path, ...options }),
  allocation: (path: string, options: LookupOptions = {}): Scope => ({ kind: 'allocation', path, ...options }),
  request: (path: string, options: LookupOptions = {}): Scope => ({ kind: 'request', path, ...options }),
  site: (path: string, options: LookupOptions = {}): Scope => ({ kind: 'site', path, ...options }),
  token: (path: string, options: LookupOptions = {}): Scope => ({ kind: 'token', path, ...options }),
  workerPool: (path: string, options: LookupOptions = {}): Scope => ({ kind: 'workerPool', path, ...options }),
};

export interface AllowDeclaration {
  permission: Permission;
  scope: Scope;
}

export const ALLOW_METADATA = 'skypool:allow';

/**
 * Declares what a query, mutation or subscription needs; the PermissionGuard checks it before
 * the resolver runs. An operation without one is refused, and the broker does not start.
 */
export function Allow(permission: Permission, options: { scope: Scope }): MethodDecorator {
  return SetMetadata<string, AllowDeclaration>(ALLOW_METADATA, { permission, scope: options.scope });
}
