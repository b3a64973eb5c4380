import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Role } from './principal.js';
import { ROLES } from './principal.js';

/**
 * Rules that turn an identity provider's claims into rights, like Keystone's federation mappings.
 *
 *   rules:
 *     - claim: eduperson_entitlement          # a claim; a list claim matches if any value does
 *       matches: '^urn:mace:egi\.eu:group:(?<vo>[a-z0-9-]+):role=member#'
 *       grant: { role: RESEARCHER, project: '{vo}' }      # a project by name; {name} = a capture
 *     - claim: email
 *       matches: '@umich\.edu$'
 *       grant: { role: RESEARCHER, institution: University of Michigan }   # institution membership
 *     - claim: groups
 *       equals: skypool-admins
 *       grant: { role: FEDERATION_ADMIN }
 */
export interface ClaimRule {
  claim: string;
  matches?: string;
  equals?: string;
  grant: { role: Role; project?: string; institution?: string };
}

/** What the claims give: a role in a project (by name), an institution, or the federation. */
export interface MappedGrant {
  role: Role;
  projectName?: string;
  institution?: string;
  /** Which rule gave it, for the dry run. */
  rule: number;
}

export class MappingError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = 'MappingError';
  }
}

/** Checks the rules once, so a login never meets a broken rule. */
export function parseClaimRules(text: string, where: string): ClaimRule[] {
  const doc = parse(text) as { rules?: unknown } | null;
  if (!doc || !Array.isArray(doc.rules)) throw new MappingError(where, 'expected a mapping with a list `rules`');
  return doc.rules.map((raw, i) => {
    const at = `${where}: rules[${i}]`;
    const rule = raw as Partial<ClaimRule>;
    if (typeof rule.claim !== 'string' || rule.claim === '') throw new MappingError(at, '`claim` must name a claim');
    if ((rule.matches === undefined) === (rule.equals === undefined)) throw new MappingError(at, 'give exactly one of `matches` (a regular expression) or `equals`');
    if (rule.matches !== undefined) {
      try {
        new RegExp(rule.matches);
      } catch (err) {
        throw new MappingError(at, `\`matches\` is not a regular expression: ${(err as Error).message}`);
      }
    }
    const grant = rule.grant;
    if (!grant || !ROLES.includes(grant.role)) throw new MappingError(at, `grant.role must be one of ${ROLES.join(', ')}`);
    const scoped = grant.role === 'RESEARCHER' || grant.role === 'PROJECT_MANAGER' || grant.role === 'SITE_ADMIN';
    if (scoped && !grant.project && !grant.institution) throw new MappingError(at, `a ${grant.role} grant needs a project or an institution`);
    if (grant.role === 'SITE_ADMIN' && !grant.institution) throw new MappingError(at, 'a SITE_ADMIN grant needs an institution');
    return { claim: rule.claim, matches: rule.matches, equals: rule.equals, grant: { role: grant.role, project: grant.project, institution: grant.institution } };
  });
}

export function loadClaimRules(file: string): ClaimRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new MappingError(file, 'cannot read the claim mapping file');
  }
  return parseClaimRules(text, file);
}

function values(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((v): v is string => typeof v === 'string');
  return typeof claim === 'string' ? [claim] : typeof claim === 'number' || typeof claim === 'boolean' ? [String(claim)] : [];
}

const fill = (template: string | undefined, groups: Record<string, string>) => template?.replace(/\{(\w+)\}/g, (_, name: string) => groups[name] ?? '');

/** Every grant the claims earn, without duplicates, in rule order. */
export function mapClaims(rules: ClaimRule[], claims: Record<string, unknown>): MappedGrant[] {
  const grants = new Map<string, MappedGrant>();
  rules.forEach((rule, index) => {
    for (const value of values(claims[rule.claim])) {
      let groups: Record<string, string> = {};
      if (rule.equals !== undefined) {
        if (value !== rule.equals) continue;
      } else {
        const match = new RegExp(rule.matches!).exec(value);
        if (!match) continue;
        groups = { ...match.groups };
      }
      const grant: MappedGrant = { role: rule.grant.role, projectName: fill(rule.grant.project, groups) || undefined, institution: fill(rule.grant.institution, groups) || undefined, rule: index };
      const key = `${grant.role}|${grant.projectName ?? ''}|${grant.institution ?? ''}`;
      if (!grants.has(key)) grants.set(key, grant);
    }
  });
  return [...grants.values()];
}
