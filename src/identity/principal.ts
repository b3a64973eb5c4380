/** Roles, from narrowest to widest (api-contract.md). */
export const ROLES = ['RESEARCHER', 'PROJECT_MANAGER', 'SITE_ADMIN', 'FEDERATION_ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** A role held within a scope: a project, an institution, or the whole federation. */
export interface RoleGrant {
  role: Role;
  projectId?: string;
  institution?: string;
}

/** The API token a caller authenticated with: what it makes may be no wider than this. */
export interface TokenLimits {
  id: string;
  /** the highest role it carries */
  role: Role;
  /** a user's token limited to one project */
  projectId?: string;
  expiresAt: Date | null;
}

/** Who is calling: a person (OIDC login or their own token), a service account, the bootstrap admin, or the broker. */
export interface Principal {
  id: string;
  kind: 'user' | 'service-account' | 'bootstrap-admin' | 'system';
  name: string;
  grants: RoleGrant[];
  /** Root GraphQL fields this caller may use (a scoped API token); undefined: all its roles allow. */
  operations?: string[];
  /** Set when the caller authenticated with an API token, directly or through a session made from it (not an OIDC login or the bootstrap token). */
  token?: TokenLimits;
}

/** How far a role reaches, for capping a user's token: a higher rank includes the lower. */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function isFederationAdmin(principal: Principal): boolean {
  return principal.grants.some((g) => g.role === 'FEDERATION_ADMIN');
}

/** May this principal act in the project (submit, see, cancel its requests)? */
export function canActInProject(principal: Principal, projectId: string, institution: string): boolean {
  return principal.grants.some(
    (g) =>
      g.role === 'FEDERATION_ADMIN' ||
      g.projectId === projectId ||
      (g.role === 'PROJECT_MANAGER' && g.projectId === undefined && g.institution === institution),
  );
}

/** The broker itself, applying the site descriptors of SKYPOOL_SITES at start: the operator's own configuration, so it may manage every site. */
export const DESCRIPTORS_PRINCIPAL: Principal = { id: 'system:site-descriptors', kind: 'system', name: 'site descriptors (SKYPOOL_SITES)', grants: [{ role: 'FEDERATION_ADMIN' }] };
