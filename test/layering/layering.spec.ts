import { describe, expect, it } from '@jest/globals';
import { cruise, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { fileURLToPath } from 'node:url';

/**
 * The real .dependency-cruiser.cjs over fixtures/src, a tiny tree in which each rule is broken
 * once: were a rule to match nothing (a typo in a path, say), this fails instead of CI passing quietly.
 */
async function violations(): Promise<IViolation[]> {
  const options = await extractDepcruiseOptions(fileURLToPath(new URL('../../.dependency-cruiser.cjs', import.meta.url)));
  const { output } = await cruise(['src'], { ...options, baseDir: fileURLToPath(new URL('fixtures', import.meta.url)) });
  if (typeof output === 'string') throw new Error('expected a cruise result, got a report');
  return output.summary.violations;
}

describe('layering rules', () => {
  it('report each fixture that breaks a rule, and nothing else', async () => {
    const found = (await violations()).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(found).toEqual([
      'allocator-core-is-pure: src/allocator/core/impure.ts -> src/config/config.ts',
      'compute-knows-no-domain: src/compute/driver.ts -> src/requests/request.ts',
      'domain-not-to-transport: src/allocations/projects.service.ts -> src/graphql/loaders.ts',
      'domains-in-order: src/audit/audit.service.ts -> src/identity/principal.ts',
      'domains-in-order: src/sites/site-removal.ts -> src/requests/request.ts',
      'no-circular: src/common/ping.ts -> src/common/pong.ts',
      'portal-app-apart: src/common/portal-peek.ts -> src/portal/web/src/page.ts',
      'portal-app-apart: src/portal/web/src/reach-in.ts -> src/config/config.ts',
      'sites-knows-no-user: src/sites/site-removal.ts -> src/requests/request.ts',
    ]);
  });
});
