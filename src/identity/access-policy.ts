import { ForbiddenError } from '../common/errors.js';
import { canActInProject, isFederationAdmin, type Principal, type Role } from './principal.js';

/** A manager of the project (or of all its institution's projects), its institution's admin, or a federation admin. */
function managesProject(principal: Principal, project: { id: string; institution: string }): boolean {
  return (
    isFederationAdmin(principal) ||
    principal.grants.some(
      (g) =>
        (g.role === 'PROJECT_MANAGER' && (g.projectId === project.id || (g.projectId === undefined && g.institution === project.institution))) ||
        (g.role === 'SITE_ADMIN' && g.institution === project.institution),
    )
  );
}

/** A federation admin, or a site admin of the institution. */
function administersInstitution(principal: Principal, institution: string): boolean {
  return isFederationAdmin(principal) || principal.grants.some((g) => g.role === 'SITE_ADMIN' && g.institution === institution);
}

/**
 * Who may do what, in one place. Resolvers call these before the service does the work;
 * services trust that the caller was checked.
 */
export const AccessPolicy = {
  /** Register or change a site of an institution: federation admins, or that institution's site admins. */
  assertCanManageSites(principal: Principal, institution: string): void {
    if (!administersInstitution(principal, institution)) throw new ForbiddenError(`only a federation admin or a site admin of ${institution} may manage its sites`);
  },

  /** A site's own error text (it may name hosts, accounts, internals): its institution's site admins and federation admins. */
  canSeeSiteErrorText(principal: Principal, institution: string): boolean {
    return administersInstitution(principal, institution);
  },

  /** Apply site descriptors: anyone who administers some institution (each site is then checked on its own). */
  assertCanManageAnySite(principal: Principal): void {
    if (!isFederationAdmin(principal) && !principal.grants.some((g) => g.role === 'SITE_ADMIN')) throw new ForbiddenError('only federation admins and site admins may apply site descriptors');
  },

  /** Create projects for an institution (the caller names it): federation admins or its site admins. */
  assertCanAdministerInstitution(principal: Principal, institution: string): void {
    if (!administersInstitution(principal, institution)) throw new ForbiddenError(`only a federation admin or an admin of ${institution} may do this`);
  },

  /** Grant and change a project's allocations: the same, without naming an institution the caller may not see. */
  assertCanAdministerProject(principal: Principal, project: { institution: string }): void {
    if (!administersInstitution(principal, project.institution)) throw new ForbiddenError("only a federation admin or an admin of the project's institution may do this");
  },

  /** Federation-wide settings, such as fair-share priority factors: federation admins only. */
  assertIsFederationAdmin(principal: Principal, what: string): void {
    if (!isFederationAdmin(principal)) throw new ForbiddenError(`only a federation admin may ${what}`);
  },

  /** Submit, see and cancel requests of a project: its members (and admins above them). */
  assertCanActInProject(principal: Principal, project: { id: string; institution: string }): void {
    if (canActInProject(principal, project.id, project.institution) || administersInstitution(principal, project.institution)) return;
    // not the project's id or name: the caller may have given only a request's id
    throw new ForbiddenError('you are not a member of that project');
  },

  /** Cancel a request or extend its lease: whoever submitted it, or who manages its project (a researcher manages only their own). */
  assertCanManageRequest(principal: Principal, project: { id: string; institution: string }, submittedBy: string, action: 'cancel' | 'extend'): void {
    AccessPolicy.assertCanActInProject(principal, project);
    if (submittedBy === principal.id) return;
    if (!managesProject(principal, project)) throw new ForbiddenError(`a researcher may ${action} only the requests they submitted`);
  },

  /**
   * The projects canSeeProject lets the principal see, as a filter a query can apply: every
   * project, or those with these ids or of these institutions.
   */
  visibleProjects(principal: Principal): 'all' | { ids: string[]; institutions: string[] } {
    if (isFederationAdmin(principal)) return 'all';
    const ids = principal.grants.flatMap((g) => (g.projectId !== undefined ? [g.projectId] : []));
    const institutions = principal.grants.flatMap((g) =>
      g.institution !== undefined && (g.role === 'SITE_ADMIN' || (g.role === 'PROJECT_MANAGER' && g.projectId === undefined)) ? [g.institution] : [],
    );
    return { ids, institutions };
  },

  canSeeProject(principal: Principal, project: { id: string; institution: string }): boolean {
    try {
      AccessPolicy.assertCanActInProject(principal, project);
      return true;
    } catch {
      return false;
    }
  },

  /**
   * Add and remove members: the project's managers, its institution's admins, federation admins;
   * people, not service accounts (whoever holds a script's token must not be able to let others in).
   */
  assertCanManageMembers(principal: Principal, project: { id: string; institution: string }): void {
    if (principal.kind === 'service-account') throw new ForbiddenError('a service account may not change project members; a person who manages the project does');
    if (!managesProject(principal, project)) throw new ForbiddenError('only a manager of that project (or an admin) may change its members');
  },

  /**
   * Whether the grants would allow making a service account of this role and scope: federation
   * admins make any; a project manager makes researcher or manager accounts of the project. Also
   * asked at each use of an account, of its maker's grants then.
   */
  mayCreateServiceAccount(principal: Principal, role: Role, projectId: string | undefined): boolean {
    if (isFederationAdmin(principal)) return true;
    const managesProject = projectId !== undefined && principal.grants.some((g) => g.role === 'PROJECT_MANAGER' && g.projectId === projectId);
    return managesProject && (role === 'RESEARCHER' || role === 'PROJECT_MANAGER');
  },

  /** Service accounts make no tokens: a leaked one cannot spread. */
  assertCanCreateServiceAccount(principal: Principal, role: Role, projectId: string | undefined): void {
    if (principal.kind === 'service-account') throw new ForbiddenError('a service account may not create tokens; ask a person who manages the project');
    if (!AccessPolicy.mayCreateServiceAccount(principal, role, projectId)) {
      throw new ForbiddenError('only a federation admin, or a project manager for its own project, may create this service account');
    }
  },

  /** A token that acts as oneself: only a person who logged in has a self to act as. */
  assertCanCreateOwnToken(principal: Principal): void {
    if (principal.kind === 'service-account') throw new ForbiddenError('a service account may not create tokens; ask a person who manages the project');
    if (principal.kind !== 'user') throw new ForbiddenError('only a person logged in may create a token of their own; a service account is made with createServiceAccount');
  },

  /** Revoke a token: who made it, or a federation admin. */
  assertCanRevokeToken(principal: Principal, token: { createdBy: string }): void {
    if (!isFederationAdmin(principal) && token.createdBy !== principal.id) throw new ForbiddenError('only who made a token, or a federation admin, may revoke it');
  },
};
