import { describe, expect, it } from '@jest/globals';
import { mapClaims, parseClaimRules } from './claims-mapping.js';

const rules = parseClaimRules(
  `
rules:
  - claim: eduperson_entitlement
    matches: '^urn:mace:egi\\.eu:group:(?<vo>[a-z0-9-]+):role=member#'
    grant: { role: RESEARCHER, project: '{vo}' }
  - claim: eduperson_entitlement
    matches: '^urn:mace:egi\\.eu:group:(?<vo>[a-z0-9-]+):role=manager#'
    grant: { role: PROJECT_MANAGER, project: '{vo}' }
  - claim: email
    matches: '@umich\\.edu$'
    grant: { role: RESEARCHER, institution: University of Michigan }
  - claim: groups
    equals: skypool-admins
    grant: { role: FEDERATION_ADMIN }
`,
  'mappings.yaml',
);

describe('claim mapping', () => {
  it('maps EGI entitlements to project roles, the email domain to an institution, groups to admin', () => {
    const grants = mapClaims(rules, {
      email: 'ada@umich.edu',
      eduperson_entitlement: ['urn:mace:egi.eu:group:climate-vo:role=member#aai.egi.eu', 'urn:mace:egi.eu:group:bio-vo:role=manager#aai.egi.eu', 'urn:other:thing'],
      groups: ['staff', 'skypool-admins'],
    });
    expect(grants).toEqual([
      { role: 'RESEARCHER', projectName: 'climate-vo', institution: undefined, rule: 0 },
      { role: 'PROJECT_MANAGER', projectName: 'bio-vo', institution: undefined, rule: 1 },
      { role: 'RESEARCHER', projectName: undefined, institution: 'University of Michigan', rule: 2 },
      { role: 'FEDERATION_ADMIN', projectName: undefined, institution: undefined, rule: 3 },
    ]);
  });

  it('gives nothing for claims that match no rule, and ignores claims of other types', () => {
    expect(mapClaims(rules, { email: 'eve@example.org', groups: 'staff', eduperson_entitlement: { odd: true } })).toEqual([]);
  });

  it('refuses broken rules with the rule and the reason', () => {
    expect(() => parseClaimRules('rules:\n  - { claim: email, grant: { role: RESEARCHER, project: x } }', 'm.yaml')).toThrow('m.yaml: rules[0]: give exactly one of `matches` (a regular expression) or `equals`');
    expect(() => parseClaimRules("rules:\n  - { claim: email, matches: '(', grant: { role: RESEARCHER, project: x } }", 'm.yaml')).toThrow(/rules\[0\]: `matches` is not a regular expression/);
    expect(() => parseClaimRules('rules:\n  - { claim: email, equals: a, grant: { role: KING } }', 'm.yaml')).toThrow(/grant.role must be one of RESEARCHER/);
    expect(() => parseClaimRules('rules:\n  - { claim: email, equals: a, grant: { role: SITE_ADMIN, project: p } }', 'm.yaml')).toThrow('m.yaml: rules[0]: a SITE_ADMIN grant needs an institution');
    expect(() => parseClaimRules('nothing: here', 'm.yaml')).toThrow('m.yaml: expected a mapping with a list `rules`');
  });
});
