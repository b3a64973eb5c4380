import { DomainError } from '../common/errors.js';
import { Permission, type ScopeKind } from './permissions/permission.js';
import { canActInProject, isFederationAdmin, type Principal, type Role } from './principal.js';
import { IdentityError, IdentityErrorCode } from './identity.errors.js';

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
 * Who may do what, in one place. The PermissionGuard applies these, through PERMISSION_RULES,
 * to each operation's declared permission before its resolver runs; a service calls one again
 * only where it must check inside its transaction (e.g. each site of a descriptor file).
 */
export const AccessPolicy = {
  /** Register or change a site of an institution: federation admins, or that institution's site admins. */
  assertCanManageSites(principal: Principal, institution: string): void {
    if (!administersInstitution(principal, institution)) throw new IdentityError(IdentityErrorCode.NotInstitutionAdmin, `only a federation admin or a site admin of ${institution} may manage its sites`);
  },

  /** A site's own error text (it may name hosts, accounts, internals): its institution's site admins and federation admins. */
  canSeeSiteErrorText(principal: Principal, institution: string): boolean {
    return administersInstitution(principal, institution);
  },

  /** Apply site descriptors: anyone who administers some institution (each site is then checked on its own). */
  assertCanManageAnySite(principal: Principal): void {
    if (!isFederationAdmin(principal) && !principal.grants.some((g) => g.role === 'SITE_ADMIN')) throw new IdentityError(IdentityErrorCode.NotInstitutionAdmin, 'only federation admins and site admins may apply site descriptors');
  },

  /** Create projects for an institution (the caller names it): federation admins or its site admins. */
  assertCanAdministerInstitution(principal: Principal, institution: string): void {
    if (!administersInstitution(principal, institution)) throw new IdentityError(IdentityErrorCode.NotInstitutionAdmin, `only a federation admin or an admin of ${institution} may do this`);
  },

  /** Grant and change a project's allocations: the same, without naming an institution the caller may not see. */
  assertCanAdministerProject(principal: Principal, project: { institution: string }): void {
    if (!administersInstitution(principal, project.institution)) throw new IdentityError(IdentityErrorCode.NotInstitutionAdmin, "only a federation admin or an admin of the project's institution may do this");
  },

  /** Federation-wide settings, such as fair-share priority factors: federation admins only. */
  assertIsFederationAdmin(principal: Principal, what: string): void {
    if (!isFederationAdmin(principal)) throw new IdentityError(IdentityErrorCode.NotFederationAdmin, `only a federation admin may ${what}`);
  },

  /** Submit, see and cancel requests of a project: its members (and admins above them). */
  assertCanActInProject(principal: Principal, project: { id: string; institution: string }): void {
    if (canActInProject(principal, project.id, project.institution) || administersInstitution(principal, project.institution)) return;
    // not the project's id or name: the caller may have given only a request's id
    throw new IdentityError(IdentityErrorCode.NotProjectMember, 'you are not a member of that project');
  },

  /** Cancel a request or extend its lease: whoever submitted it, or who manages its project (a researcher manages only their own). */
  assertCanManageRequest(principal: Principal, project: { id: string; institution: string }, submittedBy: string, action: 'cancel' | 'extend'): void {
    AccessPolicy.assertCanActInProject(principal, project);
    if (submittedBy === principal.id) return;
    if (!managesProject(principal, project)) throw new IdentityError(IdentityErrorCode.NotRequestOwner, `a researcher may ${action} only the requests they submitted`);
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

  /**
   * The usage records the principal may see, as a filter a query can apply: every record, or
   * those of the projects it may see (visibleProjects) and those run at the sites of the
   * institutions it administers (what its sites gave, to whomever).
   */
  visibleUsage(principal: Principal): 'all' | { projectIds: string[]; projectInstitutions: string[]; siteInstitutions: string[] } {
    const projects = AccessPolicy.visibleProjects(principal);
    if (projects === 'all') return 'all';
    const siteInstitutions = principal.grants.flatMap((g) => (g.role === 'SITE_ADMIN' && g.institution !== undefined ? [g.institution] : []));
    return { projectIds: projects.ids, projectInstitutions: projects.institutions, siteInstitutions };
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
    if (principal.kind === 'service-account') throw new IdentityError(IdentityErrorCode.PersonRequired, 'a service account may not change project members; a person who manages the project does');
    if (!managesProject(principal, project)) throw new IdentityError(IdentityErrorCode.NotProjectManager, 'only a manager of that project (or an admin) may change its members');
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
    if (principal.kind === 'service-account') throw new IdentityError(IdentityErrorCode.PersonRequired, 'a service account may not create tokens; ask a person who manages the project');
    if (!AccessPolicy.mayCreateServiceAccount(principal, role, projectId)) {
      throw new IdentityError(IdentityErrorCode.BeyondMakersGrants, 'only a federation admin, or a project manager for its own project, may create this service account');
    }
  },

  /** Register a project's webhooks: its managers (and admins above them). */
  assertCanManageProjectNotifications(principal: Principal, project: { id: string; institution: string }): void {
    if (!managesProject(principal, project)) throw new IdentityError(IdentityErrorCode.NotProjectManager, "only a manager of that project (or an admin) may change its webhooks");
  },

  /** Register an institution's webhooks (its sites and all its projects): its site admins and federation admins. */
  assertCanManageInstitutionNotifications(principal: Principal, institution: string): void {
    if (!administersInstitution(principal, institution)) throw new IdentityError(IdentityErrorCode.NotInstitutionAdmin, `only a federation admin or a site admin of ${institution} may change its webhooks`);
  },

  /** A token that acts as oneself: only a person who logged in has a self to act as. */
  assertCanCreateOwnToken(principal: Principal): void {
    if (principal.kind === 'service-account') throw new IdentityError(IdentityErrorCode.PersonRequired, 'a service account may not create tokens; ask a person who manages the project');
    if (principal.kind !== 'user') throw new IdentityError(IdentityErrorCode.PersonRequired, 'only a person logged in may create a token of their own; a service account is made with createServiceAccount');
  },

  /** Revoke a token: who made it, or a federation admin. */
  assertCanRevokeToken(principal: Principal, token: { createdBy: string }): void {
    if (!isFederationAdmin(principal) && token.createdBy !== principal.id) throw new IdentityError(IdentityErrorCode.NotTokenMaker, 'only who made a token, or a federation admin, may revoke it');
  },
};

/** What an operation's scope resolved to; each rule reads what its scopes provide. */
export interface ScopeTarget {
  institution?: string;
  project?: { id: string; institution: string };
  /** the principal id that submitted the request */
  submittedBy?: string;
  /** the principal id that made the token */
  createdBy?: string;
  serviceAccount?: { role: Role; projectId?: string };
}

export interface PermissionRule {
  /** the scopes an operation may declare with this permission (checked at start) */
  scopes: readonly ScopeKind[];
  /** throws FORBIDDEN when the principal may not act on the target */
  check(principal: Principal, target: ScopeTarget): void;
}

/** A scope that lacks what its rule reads is a wrong declaration, caught at start; never allow on it. */
function given<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the operation's scope gave no ${what}`);
  return value;
}

const anyone: PermissionRule['check'] = () => undefined;

/** Each permission's rule: the assertions above, applied to the scope the operation declares. */
export const PERMISSION_RULES: Record<Permission, PermissionRule> = {
  [Permission.ReadFederation]: { scopes: ['signed-in'], check: anyone },
  [Permission.ReadOwn]: { scopes: ['signed-in'], check: anyone },
  [Permission.ManageNotifications]: { scopes: ['signed-in'], check: anyone },
  [Permission.ReadAuditLog]: {
    scopes: ['federation'],
    check: (principal) => {
      if (!isFederationAdmin(principal)) throw new IdentityError(IdentityErrorCode.NotFederationAdmin, 'only federation admins may read the audit log');
    },
  },
  [Permission.ManageSites]: { scopes: ['institution', 'site'], check: (principal, t) => AccessPolicy.assertCanManageSites(principal, given(t.institution, 'institution')) },
  [Permission.ReadSiteErrorText]: {
    scopes: ['institution'],
    check: (principal, t) => {
      const institution = given(t.institution, 'institution');
      if (!AccessPolicy.canSeeSiteErrorText(principal, institution)) throw new IdentityError(IdentityErrorCode.NotInstitutionAdmin, `only a federation admin or a site admin of ${institution} may read its sites' own error text`);
    },
  },
  [Permission.ApplySiteDescriptors]: { scopes: ['federation'], check: (principal) => AccessPolicy.assertCanManageAnySite(principal) },
  [Permission.CreateProject]: { scopes: ['institution'], check: (principal, t) => AccessPolicy.assertCanAdministerInstitution(principal, given(t.institution, 'institution')) },
  [Permission.AdministerProject]: { scopes: ['project', 'allocation'], check: (principal, t) => AccessPolicy.assertCanAdministerProject(principal, given(t.project, 'project')) },
  [Permission.SetPriorityFactor]: { scopes: ['federation'], check: (principal) => AccessPolicy.assertIsFederationAdmin(principal, 'set priority factors') },
  [Permission.ActInProject]: { scopes: ['project', 'request', 'workerPool'], check: (principal, t) => AccessPolicy.assertCanActInProject(principal, given(t.project, 'project')) },
  [Permission.CancelRequest]: {
    scopes: ['request'],
    check: (principal, t) => AccessPolicy.assertCanManageRequest(principal, given(t.project, 'project'), given(t.submittedBy, 'submitter'), 'cancel'),
  },
  [Permission.ExtendLease]: {
    scopes: ['request'],
    check: (principal, t) => AccessPolicy.assertCanManageRequest(principal, given(t.project, 'project'), given(t.submittedBy, 'submitter'), 'extend'),
  },
  [Permission.ManageMembers]: { scopes: ['project'], check: (principal, t) => AccessPolicy.assertCanManageMembers(principal, given(t.project, 'project')) },
  [Permission.CreateServiceAccount]: {
    scopes: ['service-account'],
    check: (principal, t) => {
      const account = given(t.serviceAccount, 'service account');
      AccessPolicy.assertCanCreateServiceAccount(principal, account.role, account.projectId);
    },
  },
  [Permission.CreateOwnToken]: { scopes: ['signed-in'], check: (principal) => AccessPolicy.assertCanCreateOwnToken(principal) },
  [Permission.RevokeToken]: { scopes: ['token'], check: (principal, t) => AccessPolicy.assertCanRevokeToken(principal, { createdBy: given(t.createdBy, 'maker') }) },
};

/**
 * Whether the permission holds on a target already at hand: for a field that leaves out what the
 * caller may not read rather than refusing the whole answer (SiteHealthReport.lastError).
 */
export function permits(permission: Permission, principal: Principal | null, target: ScopeTarget): boolean {
  if (!principal) return false;
  try {
    PERMISSION_RULES[permission].check(principal, target);
    return true;
  } catch (err) {
    if (err instanceof DomainError) return false;
    throw err;
  }
}
