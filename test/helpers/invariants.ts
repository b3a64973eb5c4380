import { expect } from '@jest/globals';
import { ADMIN_TOKEN } from './broker.js';
import type { GraphqlClient } from './graphql-client.js';

/**
 * What must hold between the broker's books and the sites once provisioning has settled, whatever
 * went wrong on the way: no duplicates, no orphans, and a quota recount that matches what the sites
 * hold. The sites are read over HTTP from the emulator's listing (`GET <base>/<site>/instances`,
 * with the test admin token), so the same checks work for the emulator a broker serves itself and
 * for `skypool emulate` processes.
 */

/** One instance as the emulator lists it (terminated ones stay listed for an hour). */
export interface SiteListing {
  instanceId: string;
  state: string;
  instanceType: string;
  vcpus: number;
  tags: Record<string, string>;
}

/** One instance row as the broker keeps it. `attempt` is unknown when read through the API. */
export interface BookedInstance {
  requestId: string;
  attempt: number | null;
  site: string;
  siteInstanceId: string | null;
  state: string;
  vcpus: number;
}

export interface InvariantReport {
  /** Per (site, request, attempt): more live instances at the site than the placement has rows. */
  duplicates: string[];
  /** Broker rows that hold a site instance which the site does not list as theirs alone (or no longer runs). */
  unmapped: string[];
  /** Live instances at a site, tagged as ours, that the broker does not hold as PENDING, RUNNING or TERMINATING. */
  orphans: string[];
  /**
   * Per (site, request, attempt): instances ever launched (still listed, any state) beyond the
   * placement's count. Zero where the site honours ClientToken and nothing else went wrong; a
   * site that ignores it may have launched extras that were terminated since.
   */
  extraLaunches: string[];
  /** vCPUs: what the broker counts (REQUESTED, PENDING, RUNNING, TERMINATING), what the sites hold live, and the REQUESTED part. */
  recount: { broker: number; sites: number; requested: number };
  /** Rows by state. */
  states: Record<string, number>;
  /** Live instances in scope, per site. */
  live: Record<string, number>;
}

const LIVE = new Set(['pending', 'running']);
const HOLDING_AT_SITE = new Set(['PENDING', 'RUNNING', 'TERMINATING']);

export async function listSite(base: string, site: string): Promise<SiteListing[]> {
  const res = await fetch(`${base}/${site}/instances`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!res.ok) throw new Error(`GET ${base}/${site}/instances: HTTP ${res.status}`);
  return (await res.json()) as SiteListing[];
}

/** Every listed site, read at once. */
export async function listSites(base: string, sites: string[]): Promise<Record<string, SiteListing[]>> {
  const listings = await Promise.all(sites.map((s) => listSite(base, s)));
  return Object.fromEntries(sites.map((s, i) => [s, listings[i]!]));
}

/** The broker's rows for these projects, from its database (any pg-like `query`). */
export async function booksFromDb(query: (sql: string, params: unknown[]) => Promise<any[]>, projectIds: string[]): Promise<BookedInstance[]> {
  const rows: { request_id: string; attempt: number; site: string; site_instance_id: string | null; state: string; vcpus: number }[] = await query(
    `SELECT i.request_id, i.attempt, s.name AS site, i.site_instance_id, i.state, i.vcpus
       FROM instance i JOIN site s ON s.id = i.site_id WHERE i.project_id = ANY($1)`,
    [projectIds],
  );
  return rows.map((r) => ({ requestId: r.request_id, attempt: Number(r.attempt), site: r.site, siteInstanceId: r.site_instance_id, state: r.state, vcpus: Number(r.vcpus) }));
}

/** The same through the API (when the database cannot be read from outside, e.g. an embedded one in use). */
export async function booksFromApi(client: GraphqlClient, projectIds: string[]): Promise<BookedInstance[]> {
  const { sites } = await client.data(`{ sites { name instanceTypes { name vcpus } } }`);
  const vcpus = new Map<string, number>();
  for (const site of sites) for (const type of site.instanceTypes) vcpus.set(`${site.name}/${type.name}`, type.vcpus);
  const books: BookedInstance[] = [];
  for (const projectId of projectIds) {
    const { resourceRequests } = await client.data(
      `query($p: ID) { resourceRequests(projectId: $p, first: 1000) { id instances { state siteInstanceId instanceType site { name } } } }`,
      { p: projectId },
    );
    for (const r of resourceRequests) {
      for (const i of r.instances) {
        books.push({ requestId: r.id, attempt: null, site: i.site.name, siteInstanceId: i.siteInstanceId, state: i.state, vcpus: vcpus.get(`${i.site.name}/${i.instanceType}`) ?? NaN });
      }
    }
  }
  return books;
}

/**
 * Compares the books with the sites. `scope` picks the site instances that belong to the test
 * (e.g. by their skypool:project tag); every booked row is taken as in scope.
 */
export function checkInvariants(books: BookedInstance[], sites: Record<string, SiteListing[]>, scope: (tags: Record<string, string>) => boolean): InvariantReport {
  const report: InvariantReport = { duplicates: [], unmapped: [], orphans: [], extraLaunches: [], recount: { broker: 0, sites: 0, requested: 0 }, states: {}, live: {} };
  const placementKey = (site: string, requestId: string, attempt: number | null) => (attempt === null ? `${site}/${requestId}` : `${site}/${requestId}/${attempt}`);
  const withAttempt = books.every((b) => b.attempt !== null);

  const rowsPerPlacement = new Map<string, number>();
  for (const b of books) {
    report.states[b.state] = (report.states[b.state] ?? 0) + 1;
    const key = placementKey(b.site, b.requestId, b.attempt);
    rowsPerPlacement.set(key, (rowsPerPlacement.get(key) ?? 0) + 1);
    if (['REQUESTED', 'PENDING', 'RUNNING', 'TERMINATING'].includes(b.state)) report.recount.broker += b.vcpus;
    if (b.state === 'REQUESTED') report.recount.requested += b.vcpus;
  }

  for (const [site, listing] of Object.entries(sites)) {
    const ours = listing.filter((i) => scope(i.tags));
    const live = ours.filter((i) => LIVE.has(i.state));
    report.live[site] = live.length;
    report.recount.sites += live.reduce((n, i) => n + i.vcpus, 0);

    const livePer = new Map<string, number>();
    const everPer = new Map<string, number>();
    for (const i of ours) {
      const key = placementKey(site, i.tags['skypool:request'] ?? '?', withAttempt ? Number(i.tags['skypool:attempt']) : null);
      everPer.set(key, (everPer.get(key) ?? 0) + 1);
      if (LIVE.has(i.state)) livePer.set(key, (livePer.get(key) ?? 0) + 1);
    }
    for (const [key, n] of livePer) {
      const rows = rowsPerPlacement.get(key) ?? 0;
      if (n > rows) report.duplicates.push(`${key}: ${n} live at the site for ${rows} placed`);
    }
    for (const [key, n] of everPer) {
      const rows = rowsPerPlacement.get(key) ?? 0;
      if (n > rows) report.extraLaunches.push(`${key}: ${n} launched for ${rows} placed`);
    }

    const booked = books.filter((b) => b.site === site && b.siteInstanceId !== null && HOLDING_AT_SITE.has(b.state));
    const byId = new Map(listing.map((i) => [i.instanceId, i]));
    const seen = new Map<string, number>();
    for (const b of booked) seen.set(b.siteInstanceId!, (seen.get(b.siteInstanceId!) ?? 0) + 1);
    for (const b of booked) {
      const atSite = byId.get(b.siteInstanceId!);
      if (!atSite) report.unmapped.push(`${site}/${b.siteInstanceId}: ${b.state} in the books, not at the site`);
      else if (seen.get(b.siteInstanceId!)! > 1) report.unmapped.push(`${site}/${b.siteInstanceId}: held by ${seen.get(b.siteInstanceId!)} rows`);
      else if (b.state !== 'TERMINATING' && !LIVE.has(atSite.state)) report.unmapped.push(`${site}/${b.siteInstanceId}: ${b.state} in the books, ${atSite.state} at the site`);
    }
    for (const i of live) if (!seen.has(i.instanceId)) report.orphans.push(`${site}/${i.instanceId} (request ${i.tags['skypool:request']}, attempt ${i.tags['skypool:attempt']}): ${i.state}, unknown to the broker`);
  }
  return report;
}

/** Settled: nothing duplicated, unmapped or orphaned, nothing on its way (REQUESTED, TERMINATING), and the recount adds up. */
export function converged(report: InvariantReport): boolean {
  return (
    report.duplicates.length === 0 &&
    report.unmapped.length === 0 &&
    report.orphans.length === 0 &&
    !report.states.REQUESTED &&
    !report.states.TERMINATING &&
    report.recount.broker === report.recount.sites + report.recount.requested
  );
}

/** The invariants, as assertions that show the whole report when one fails. */
export function expectInvariants(report: InvariantReport, options: { noExtraLaunches?: boolean } = {}): void {
  expect({ duplicates: report.duplicates, unmapped: report.unmapped, orphans: report.orphans }).toEqual({ duplicates: [], unmapped: [], orphans: [] });
  expect(report.recount.broker).toBe(report.recount.sites + report.recount.requested);
  if (options.noExtraLaunches) expect(report.extraLaunches).toEqual([]);
}
