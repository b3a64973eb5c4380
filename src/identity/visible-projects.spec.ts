import { describe, expect, it } from '@jest/globals';
import { AccessPolicy } from './access-policy.js';
import type { Principal, RoleGrant } from './principal.js';

const projects = [
  { id: 'p1', institution: 'uni-a' },
  { id: 'p2', institution: 'uni-a' },
  { id: 'p3', institution: 'uni-b' },
];

const principal = (...grants: RoleGrant[]): Principal => ({ id: 'u', kind: 'user', name: 'u', grants });

/** What the filter lets a query return, applied in memory. */
function filtered(p: Principal): string[] {
  const visible = AccessPolicy.visibleProjects(p);
  return projects.filter((x) => visible === 'all' || visible.ids.includes(x.id) || visible.institutions.includes(x.institution)).map((x) => x.id);
}

describe('AccessPolicy.visibleProjects', () => {
  it.each([
    ['a federation admin', principal({ role: 'FEDERATION_ADMIN' })],
    ['a researcher', principal({ role: 'RESEARCHER', projectId: 'p1' })],
    ["a project's manager", principal({ role: 'PROJECT_MANAGER', projectId: 'p3' })],
    ["an institution's project manager", principal({ role: 'PROJECT_MANAGER', institution: 'uni-a' })],
    ['a site admin', principal({ role: 'SITE_ADMIN', institution: 'uni-b' })],
    ['someone with several grants', principal({ role: 'RESEARCHER', projectId: 'p2' }, { role: 'SITE_ADMIN', institution: 'uni-b' })],
    ['nobody in particular', principal()],
  ])('selects for %s exactly the projects canSeeProject allows', (_who, p) => {
    expect(filtered(p)).toEqual(projects.filter((x) => AccessPolicy.canSeeProject(p, x)).map((x) => x.id));
  });
});
