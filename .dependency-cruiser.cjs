/**
 * The layering of ARCHITECTURE.md, checked by `npm run depcruise` (and .ci/run):
 *
 *   transport  main.ts, app.module.ts, broker.ts, portal-pages.ts, graphql/, cli/, portal/, and inside a domain
 *              *.resolver.ts, *.controller.ts, *.guard.ts, *.decorator.ts, *-cli.ts
 *   domains    audit, identity, sites, allocations, requests, allocator, provisioning, accounting, bursting
 *   edge       compute/ (EC2 driver, emulator): knows no domain
 *   ground     config/, database/, common/
 *
 * A domain's dto/ holds its API types (views, inputs, typed refusals): its services may take and
 * return them, and they may name other domains' API types and the GraphQL type vocabulary
 * (graphql/enums.ts, graphql/json.scalar.ts). A domain's *.module.ts is wiring: it may import the
 * modules its resolvers need. Everything else in a domain folder is domain code, and domains
 * depend on each other in one order only (`DOMAINS`, lowest first), so there is no cycle between them.
 * `allocator/core/` is a folder of its own: anything may use it, it uses nothing.
 *
 * test/layering/layering.spec.ts runs these rules over fixtures that break each one.
 */

/** Lowest first: a domain's code may import the domains before it, never those after it. */
const DOMAINS = ['audit', 'identity', 'sites', 'allocations', 'requests', 'allocator', 'provisioning', 'accounting', 'bursting'];

/** A domain's folder; the allocator's leaves out its core, which is a folder of its own. */
const folderOf = (domain) => (domain === 'allocator' ? 'allocator/(?!core/)' : `${domain}/`);
const anyOf = (domains) => `^src/(${domains.map(folderOf).join('|')})`;

const TRANSPORT = [
  '^src/(main|app\\.module|broker|portal-pages)\\.ts$',
  '^src/(graphql|cli|portal)/',
  '\\.(resolver|controller|guard|decorator)\\.ts$',
  '-cli\\.ts$',
].join('|');
/** What dto/ describe the API with; not the API server. */
const GRAPHQL_TYPE_VOCABULARY = '^src/graphql/(enums|json\\.scalar)\\.ts$';
const WIRING = '\\.module\\.ts$';
const API_TYPES = '/dto/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No module imports itself through others: a cycle makes load order and responsibility unclear.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'compute-knows-no-domain',
      severity: 'error',
      comment: 'compute/ is the edge (EC2 driver, emulator): it is handed what it needs and knows no domain or transport.',
      from: { path: '^src/compute/' },
      to: { path: `${anyOf(DOMAINS)}|${TRANSPORT}` },
    },
    {
      name: 'sites-knows-no-user',
      severity: 'error',
      comment: 'sites/ does not know who uses it: requests, the allocator, provisioning and the rest ask it, never the other way round.',
      from: { path: '^src/sites/' },
      to: { path: anyOf(DOMAINS.slice(DOMAINS.indexOf('sites') + 1)) },
    },
    {
      name: 'allocator-core-is-pure',
      severity: 'error',
      comment: 'allocator/core/ is the pure matchmaking core: plain data in, decisions out. It imports nothing outside itself (no Nest, TypeORM, pg, config, database, node built-ins).',
      // its specs may use the test runner (and property-test tools)
      from: { path: '^src/allocator/core/', pathNot: '\\.spec\\.ts$' },
      to: { pathNot: '^src/allocator/core/' },
    },
    {
      name: 'domain-not-to-transport',
      severity: 'error',
      comment: 'Domain services and entities never import transport code (resolvers, controllers, guards, graphql/, cli/, portal/, main.ts, app.module.ts).',
      // a spec tests the file beside it, a guard's spec its guard
      from: { path: anyOf([...DOMAINS, 'compute']), pathNot: `${TRANSPORT}|${WIRING}|\\.spec\\.ts$` },
      to: { path: TRANSPORT, pathNot: GRAPHQL_TYPE_VOCABULARY },
    },
    {
      name: 'portal-app-apart',
      severity: 'error',
      comment: 'The portal (src/portal/web) is a browser app: it reaches the broker over HTTP only, so it imports nothing of the broker, and the broker nothing of it.',
      from: { path: '^src/portal/web/' },
      to: { path: '^src/', pathNot: '^src/portal/web/' },
    },
    {
      name: 'portal-app-apart',
      severity: 'error',
      comment: 'The portal (src/portal/web) is a browser app: it reaches the broker over HTTP only, so it imports nothing of the broker, and the broker nothing of it.',
      from: { path: '^src/', pathNot: '^src/portal/web/' },
      to: { path: '^src/portal/web/' },
    },
    ...DOMAINS.slice(0, -1).map((domain, i) => ({
      name: 'domains-in-order',
      severity: 'error',
      comment: `${domain} sits below ${DOMAINS.slice(i + 1).join(', ')}: its code imports none of them (a port it declares, registered by the domain above, turns such a call round).`,
      from: { path: `^src/${folderOf(domain)}`, pathNot: `${TRANSPORT}|${WIRING}|${API_TYPES}` },
      to: { path: anyOf(DOMAINS.slice(i + 1)) },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // type-only imports are dependencies too: a service that names another domain's type knows that domain
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
