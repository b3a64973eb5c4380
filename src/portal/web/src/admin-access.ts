import type { Me } from './session';

/** The admin pages, by path under /admin, in the order the navigation shows them. */
export const ADMIN_PAGES = [
  { path: 'sites', label: 'Sites' },
  { path: 'projects', label: 'Projects and allocations' },
  { path: 'tokens', label: 'Tokens' },
  { path: 'fair-share', label: 'Fair-share' },
  { path: 'audit', label: 'Audit log' },
] as const;

export type AdminPage = (typeof ADMIN_PAGES)[number]['path'];

/**
 * The admin pages this caller's roles allow. The API checks every call anyway; this keeps pages
 * that would only answer FORBIDDEN out of sight: sites for site and federation admins; projects,
 * allocations and the fair-share table for them and project managers; tokens for those people
 * (a service account makes none); the audit log for federation admins.
 */
export function adminPagesFor(me: Me): AdminPage[] {
  const has = (...roles: string[]) => me.roles.some((grant) => roles.includes(grant.role));
  const manages = has('PROJECT_MANAGER', 'SITE_ADMIN', 'FEDERATION_ADMIN');
  const pages: AdminPage[] = [];
  if (has('SITE_ADMIN', 'FEDERATION_ADMIN')) pages.push('sites');
  if (manages) pages.push('projects');
  if (manages && me.kind !== 'service-account') pages.push('tokens');
  if (manages) pages.push('fair-share');
  if (has('FEDERATION_ADMIN')) pages.push('audit');
  return pages;
}
