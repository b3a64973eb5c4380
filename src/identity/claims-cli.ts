/**
 * `npm run claims:dry-run -- <mappings.yaml> <claims.json | ID token>`
 * Shows what the claims would map to, without logging anyone in. An ID token's payload is read
 * without checking its signature: this only answers "what would these claims give?".
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadClaimRules, mapClaims, type MappedGrant } from './claims-mapping.js';

function readClaims(source: string): Record<string, unknown> {
  const text = existsSync(source) ? readFileSync(source, 'utf8').trim() : source.trim();
  if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(text)) return JSON.parse(Buffer.from(text.split('.')[1]!, 'base64url').toString('utf8'));
  return JSON.parse(text);
}

export function describeGrant(g: MappedGrant): string {
  const scope = g.projectName ? `project ${g.projectName}` : g.institution ? `institution ${g.institution}` : 'the federation';
  return `${g.role} of ${scope} (rule ${g.rule})`;
}

function main(): number {
  const [mappings, source] = process.argv.slice(2);
  if (!mappings || !source) {
    console.error('usage: claims:dry-run -- <mappings.yaml> <claims.json | ID token>');
    return 2;
  }
  const grants = mapClaims(loadClaimRules(mappings), readClaims(source));
  if (grants.length === 0) console.log('no grants: these claims match no rule');
  for (const g of grants) console.log(describeGrant(g));
  return 0;
}

try {
  process.exit(main());
} catch (err) {
  console.error(`claims:dry-run: ${(err as Error).message}`);
  process.exit(1);
}
