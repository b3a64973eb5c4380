import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../src/common/clock.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageExports } from '../src/accounting/usage-exports.js';
import type { Principal } from '../src/identity/principal.js';
import { ADMIN_TOKEN, startTestBroker, type TestBroker } from './helpers/broker.js';
import { expectExit, runCli } from './helpers/cli.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import type { GraphqlClient } from './helpers/graphql-client.js';
import { manualTime } from './helpers/manual-time.js';
import { databaseKind } from './helpers/test-database.js';

const MINUTE = 60_000;
const MICHIGAN = 'University of Michigan';
const EDINBURGH = 'University of Edinburgh';

/** What the test knows of an instance: its size and its charged minutes, from the API and the instance row. */
interface Ran {
  name: string;
  project: string;
  site: string;
  image: string;
  instanceType: string;
  vcpus: number;
  startedAt: Date;
  endedAt: Date | null;
  chargedMinutes: number;
}

/** The instance's charged minutes that start inside [from, to): minute k runs from startedAt + k min. */
function minutesIn(ran: Ran, from: Date, to: Date): number {
  let count = 0;
  for (let k = 0; k < ran.chargedMinutes; k++) {
    const start = ran.startedAt.getTime() + k * MINUTE;
    if (start >= from.getTime() && start < to.getTime()) count++;
  }
  return count;
}

const sum = (rans: Ran[], minutesOf: (r: Ran) => number, weight: (r: Ran) => number = (r) => r.vcpus) => rans.reduce((total, r) => total + minutesOf(r) * weight(r), 0) / 60;

/**
 * Usage reports, the CSV and APEL exports and the federation's balance, from instances that ran
 * across two institutions' sites and across a month's end on a manual clock.
 */
describe(`usage reports and exports on the ${databaseKind} database`, () => {
  let t: TestBroker;
  const clock = new ManualClock(new Date('2026-10-31T23:50:00Z'));
  const PERIOD = { from: '2026-10-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
  const NOVEMBER = new Date('2026-11-01T00:00:00Z');
  const ran: Record<string, Ran> = {};
  let astro: string;
  let bio: string;
  let researcher: GraphqlClient;
  let edinburghAdmin: GraphqlClient;

  const { until, charge } = manualTime(() => t, clock);

  async function learn(name: string, requestId: string, project: string): Promise<void> {
    const { resourceRequest } = await t.admin.data(
      'query($id: ID!) { resourceRequest(id: $id) { image instances { id instanceType startedAt endedAt site { name } } } }',
      { id: requestId },
    );
    const [instance] = resourceRequest.instances;
    const [row] = await t.broker.app.get(DataSource).query('SELECT vcpus, charged_minutes FROM instance WHERE id = $1', [instance.id]);
    ran[name] = {
      name,
      project,
      site: instance.site.name,
      image: resourceRequest.image,
      instanceType: instance.instanceType,
      vcpus: Number(row.vcpus),
      startedAt: new Date(instance.startedAt),
      endedAt: instance.endedAt ? new Date(instance.endedAt) : null,
      chargedMinutes: Number(row.charged_minutes),
    };
  }

  const report = (client: GraphqlClient, groupBy: string[], extra: Record<string, unknown> = {}, period: { from: string; to: string } = PERIOD) =>
    client.request<{ usageReport: Record<string, any>[] }>(
      `query($from: DateTime!, $to: DateTime!, $groupBy: [UsageGrouping!]!, $projectId: ID) {
        usageReport(from: $from, to: $to, groupBy: $groupBy, projectId: $projectId) {
          project { name } projectName site { name } institution month image instanceType coreHours gpuHours instanceHours instances } }`,
      { ...period, groupBy, ...extra },
    );
  const rows = async (groupBy: string[], extra: Record<string, unknown> = {}, period = PERIOD, client = t.admin) => {
    const res = await report(client, groupBy, extra, period);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!.usageReport;
  };
  const get = (path: string, token: string | null = ADMIN_TOKEN) => fetch(`${t.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    const never = '0 0 0 1 1 *';
    t = await startTestBroker({ clock, env: { SKYPOOL_ALLOCATOR_CRON: never, SKYPOOL_RECONCILE_CRON: never, SKYPOOL_CHARGE_CRON: never, SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '60000' } });
    const allocation = { vcpus: 64, memoryMiB: 262144, coreHours: 1000 };
    astro = await projectWithAllocation(t.admin, { name: 'astro', institution: MICHIGAN }, allocation);
    bio = await projectWithAllocation(t.admin, { name: 'bio', institution: EDINBURGH }, allocation);
    const token = async (input: string) => (await t.admin.data(`mutation { createServiceAccount(input: ${input}) { token } }`)).createServiceAccount.token as string;
    researcher = t.anonymous.withToken(await token(`{ name: "astro researcher", role: RESEARCHER, projectId: "${astro}" }`));
    edinburghAdmin = t.anonymous.withToken(await token(`{ name: "edinburgh admin", role: SITE_ADMIN, institution: "${EDINBURGH}" }`));

    // Michigan's astro borrows at Edinburgh, Edinburgh's bio at Michigan, and astro also runs at home
    const borrowed = await submitRequest(t.admin, { projectId: astro, image: 'rocky-9', vcpus: 2, memoryMiB: 2048, leaseHours: 4, sites: ['edinburgh'] });
    const lent = await submitRequest(t.admin, { projectId: bio, image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 4096, leaseHours: 4, sites: ['umich'] });
    const home = await submitRequest(t.admin, { projectId: astro, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 2048, leaseHours: 4, sites: ['umich'] });
    for (const id of [borrowed, lent, home]) await until(id, 'RUNNING');
    clock.advance(25 * MINUTE); // past midnight: the instances run in October and November
    await charge();
    await t.admin.data('mutation($id: ID!) { cancelRequest(id: $id) { state } }', { id: home });
    await until(home, 'TERMINATED');
    clock.advance(20 * MINUTE);
    await charge();
    await learn('borrowed', borrowed, 'astro');
    await learn('lent', lent, 'bio');
    await learn('home', home, 'astro');
  }, 120_000);
  afterAll(() => t?.stop());

  it('reports the ledger: totals, per project as the budgets were charged, per month cut at midnight', async () => {
    const all = Object.values(ran);
    expect(all.every((r) => r.chargedMinutes > 20 && r.startedAt < NOVEMBER)).toBe(true);
    expect(ran.home!.endedAt).not.toBeNull();

    const [total] = await rows([]);
    expect(total).toMatchObject({ coreHours: sum(all, (r) => r.chargedMinutes), instanceHours: sum(all, (r) => r.chargedMinutes, () => 1), gpuHours: 0, instances: 3, project: null, month: null });

    const { projects } = await t.admin.data('{ projects { name usage { coreHoursUsed } } }');
    const byProject = await rows(['PROJECT']);
    expect(byProject).toHaveLength(2);
    for (const row of byProject) {
      expect(row.coreHours).toBe(projects.find((p: { name: string }) => p.name === row.project.name).usage.coreHoursUsed);
      expect(row.projectName).toBe(row.project.name);
    }

    const byMonth = await rows(['MONTH']);
    expect(byMonth.map((r) => r.month)).toEqual(['2026-10', '2026-11']);
    const october = (r: Ran) => minutesIn(r, new Date(PERIOD.from), NOVEMBER);
    const november = (r: Ran) => minutesIn(r, NOVEMBER, new Date(PERIOD.to));
    expect(byMonth[0]).toMatchObject({ coreHours: sum(all, october), instances: 3 });
    expect(byMonth[1]).toMatchObject({ coreHours: sum(all, november), instances: 3 });
    expect(all.every((r) => october(r) + november(r) === r.chargedMinutes)).toBe(true);
  });

  it('groups by site, institution, image and instance type', async () => {
    const { borrowed, lent, home } = ran as Record<string, Ran>;
    const whole = (r: Ran) => r.chargedMinutes;
    const bySite = await rows(['SITE']);
    expect(bySite.map((r) => [r.site.name, r.coreHours, r.instances])).toEqual(
      expect.arrayContaining([
        ['edinburgh', sum([borrowed!], whole), 1],
        ['umich', sum([lent!, home!], whole), 2],
      ]),
    );
    const byInstitution = await rows(['INSTITUTION']);
    // in the order of the institutions' names
    expect(byInstitution).toEqual([
      expect.objectContaining({ institution: EDINBURGH, coreHours: sum([lent!], whole), instances: 1 }),
      expect.objectContaining({ institution: MICHIGAN, coreHours: sum([borrowed!, home!], whole), instances: 2 }),
    ]);
    const byImage = await rows(['IMAGE', 'INSTANCE_TYPE']);
    expect(byImage).toHaveLength(3);
    expect(byImage).toContainEqual(expect.objectContaining({ image: 'rocky-9', instanceType: borrowed!.instanceType, coreHours: sum([borrowed!], whole) }));
    expect(byImage).toContainEqual(expect.objectContaining({ image: 'ubuntu-22.04', instanceType: home!.instanceType, instanceHours: home!.chargedMinutes / 60 }));
  });

  it('counts only the minutes inside a period that cuts a run', async () => {
    const borrowed = ran.borrowed!;
    // minutes 1..9 of the instance start inside [30 s, 10 min) after it started
    const period = { from: new Date(borrowed.startedAt.getTime() + 30_000).toISOString(), to: new Date(borrowed.startedAt.getTime() + 10 * MINUTE).toISOString() };
    const atSites = await rows(['SITE'], { projectId: astro }, period);
    expect(atSites.find((r) => r.site.name === 'edinburgh')).toMatchObject({ site: { name: 'edinburgh' }, instanceHours: 9 / 60, coreHours: (9 * borrowed.vcpus) / 60, instances: 1 });
    // a period after everything ended holds nothing
    expect(await rows(['PROJECT'], {}, { from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z' })).toEqual([]);

    const backwards = await report(t.admin, [], {}, { from: PERIOD.to, to: PERIOD.from });
    expect(backwards.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'to' } });
  });

  it("shows each caller their projects' usage, and a site admin what ran at their institution's sites", async () => {
    const { borrowed, lent } = ran as Record<string, Ran>;
    const own = await rows(['PROJECT'], {}, PERIOD, researcher);
    expect(own).toEqual([expect.objectContaining({ project: { name: 'astro' } })]);
    const refused = await report(researcher, [], { projectId: bio });
    expect(refused.errors?.[0]?.message).toMatch(/not a member of that project/);

    const atEdinburgh = await rows(['PROJECT', 'SITE'], {}, PERIOD, edinburghAdmin);
    expect(atEdinburgh).toHaveLength(2);
    // Michigan's project, at Edinburgh's site: by name only, and only what ran there
    expect(atEdinburgh).toContainEqual(expect.objectContaining({ project: null, projectName: 'astro', site: { name: 'edinburgh' }, coreHours: sum([borrowed!], (r) => r.chargedMinutes) }));
    // Edinburgh's own project, wherever it ran
    expect(atEdinburgh).toContainEqual(expect.objectContaining({ project: { name: 'bio' }, site: { name: 'umich' }, coreHours: sum([lent!], (r) => r.chargedMinutes) }));

    const anonymous = await report(t.anonymous, []);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("balances each institution's lent and borrowed core-hours", async () => {
    const { borrowed, lent } = ran as Record<string, Ran>;
    const { federationBalance } = await researcher.data(`query($from: DateTime!, $to: DateTime!) { federationBalance(from: $from, to: $to) { institution lentCoreHours borrowedCoreHours netCoreHours } }`, PERIOD);
    const michiganLent = sum([lent!], (r) => r.chargedMinutes);
    const michiganBorrowed = sum([borrowed!], (r) => r.chargedMinutes);
    expect(federationBalance).toEqual([
      { institution: 'Texas Advanced Computing Center', lentCoreHours: 0, borrowedCoreHours: 0, netCoreHours: 0 },
      { institution: EDINBURGH, lentCoreHours: michiganBorrowed, borrowedCoreHours: michiganLent, netCoreHours: michiganBorrowed - michiganLent },
      { institution: MICHIGAN, lentCoreHours: michiganLent, borrowedCoreHours: michiganBorrowed, netCoreHours: michiganLent - michiganBorrowed },
    ]);
  });

  it('exports the report as CSV, with the same permissions', async () => {
    const query = `from=${PERIOD.from}&to=${PERIOD.to}&groupBy=project,site`;
    const res = await get(`/accounting/usage.csv?${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...lines] = (await res.text()).trimEnd().split('\r\n');
    expect(header).toBe('project_id,project,site_id,site,core_hours,gpu_hours,instance_hours,instances');
    const reported = await rows(['PROJECT', 'SITE']);
    expect(lines).toHaveLength(reported.length);
    const parsed = lines.map((line) => line.split(','));
    for (const row of reported) {
      const line = parsed.find((cells) => cells[1] === row.project.name && cells[3] === row.site.name)!;
      expect(Number(line[4])).toBeCloseTo(row.coreHours, 5);
      expect(Number(line[7])).toBe(row.instances);
    }

    const researchers = await (await get(`/accounting/usage.csv?${query}`, researcher.token!)).text();
    expect(researchers.trimEnd().split('\r\n').slice(1).every((line) => line.split(',')[1] === 'astro')).toBe(true);
    expect((await get(`/accounting/usage.csv?${query}`, null)).status).toBe(401);
    const bad = await get(`/accounting/usage.csv?from=${PERIOD.from}&to=${PERIOD.to}&groupBy=planet`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/^groupBy: "PLANET" is not one of/);
    expect(await (await get('/accounting/usage.csv?to=2026-12-01T00:00:00Z')).text()).toMatch(/^from: missing/);
  });

  it('exports APEL cloud records: one cumulative record per machine and month', async () => {
    const res = await get(`/accounting/apel?from=${PERIOD.from}&to=${PERIOD.to}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('link')).toBeNull();
    const text = await res.text();
    const [header, ...rest] = text.split('\n');
    expect(header).toBe('APEL-cloud-message: v0.4');
    const chunks = rest.join('\n').split('%%\n');
    expect(chunks.pop()).toBe(''); // the message ends with a record's %%
    const records = chunks.map((chunk) => Object.fromEntries(chunk.trimEnd().split('\n').map((line) => line.split(': ', 2) as [string, string])));
    expect(records).toHaveLength(6); // three machines, each in October and November
    for (const record of records) {
      for (const field of ['VMUUID', 'SiteName', 'MachineName', 'StartTime', 'Status', 'WallDuration', 'CpuDuration', 'CpuCount', 'Memory', 'ImageId', 'CloudType', 'FQAN', 'LocalUserId']) expect(record[field]).toBeDefined();
      expect(record.SiteName).toMatch(/^(umich|edinburgh)$/);
    }
    const home = ran.home!;
    const ofHome = records.filter((r) => r.ImageId === 'ubuntu-22.04' && r.FQAN === 'astro');
    expect(ofHome).toHaveLength(2);
    const [october, november] = ofHome;
    const start = Math.floor(home.startedAt.getTime() / 1000);
    // October's record is measured at its last second; November's when the machine ended
    expect(october).toMatchObject({ Status: 'started', EndTime: 'None', StartTime: String(start), WallDuration: String(Math.floor(NOVEMBER.getTime() / 1000) - 1 - start), CpuCount: String(home.vcpus) });
    const end = Math.floor(home.endedAt!.getTime() / 1000);
    expect(november).toMatchObject({ Status: 'completed', EndTime: String(end), WallDuration: String(end - start), CpuDuration: String((end - start) * home.vcpus) });

    expect((await get(`/accounting/apel?from=${PERIOD.from}&to=${PERIOD.to}&page=2`)).status).toBe(400);

    // paged in the database: 4 to a page, the 6 records are 2 pages, every record once
    const exports = t.broker.app.get(UsageExports);
    const admin = { id: 'test', kind: 'system', name: 'test', grants: [{ role: 'FEDERATION_ADMIN' }] } as const satisfies Principal;
    const [first, second, third] = await Promise.all([1, 2, 3].map((page) => exports.apel(admin, new Date(PERIOD.from), new Date(PERIOD.to), page, 4)));
    expect([first!.pages, second!.pages, third!.message]).toEqual([2, 2, null]);
    const uuids = (message: string | null) => [...message!.matchAll(/^VMUUID: (.*)$/gm)].map((m) => m[1]);
    expect(uuids(first!.message)).toHaveLength(4);
    expect(uuids(second!.message)).toHaveLength(2);
    expect([...uuids(first!.message), ...uuids(second!.message)].sort()).toEqual(records.map((r) => r.VMUUID).sort());
    expect((await get(`/accounting/apel?from=${PERIOD.from}&to=${PERIOD.to}`, null)).status).toBe(401);
  });

  it('shows core-hours per project and site and the budgets left on /metrics', async () => {
    const { borrowed, lent, home } = ran as Record<string, Ran>;
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    const whole = (r: Ran) => r.chargedMinutes;
    expect(value('skypool_usage_core_hours_total{project="astro",site="edinburgh"}')).toBeCloseTo(sum([borrowed!], whole), 9);
    expect(value('skypool_usage_core_hours_total{project="astro",site="umich"}')).toBeCloseTo(sum([home!], whole), 9);
    expect(value('skypool_usage_core_hours_total{project="bio",site="umich"}')).toBeCloseTo(sum([lent!], whole), 9);
    expect(value('skypool_budget_core_hours_left{project="astro"}')).toBeCloseTo(1000 - sum([borrowed!, home!], whole), 9);
    expect(text).not.toContain('skypool_budget_gpu_hours_left{');
  });

  it('prints the report, writes the exports and refuses a grouping it does not know: skypool usage', async () => {
    const env = { SKYPOOL_URL: t.url, SKYPOOL_TOKEN: ADMIN_TOKEN };
    const period = ['--from', PERIOD.from, '--to', PERIOD.to];
    const json = await runCli(['usage', ...period, '--group-by', 'project,month', '--json'], env);
    expectExit(json, 0);
    const printed = JSON.parse(json.stdout);
    expect(printed.map((r: { projectName: string; month: string; coreHours: number }) => [r.projectName, r.month, r.coreHours])).toEqual(
      (await rows(['PROJECT', 'MONTH'])).map((r) => [r.projectName, r.month, r.coreHours]),
    );

    const human = await runCli(['usage', ...period, '--group-by', 'site'], env);
    expectExit(human, 0);
    expect(human.stdout.split('\n')[0]).toMatch(/^SITE\s+CORE-HOURS\s+GPU-HOURS\s+INSTANCE-HOURS\s+INSTANCES$/);
    expect(human.stdout).toMatch(/^edinburgh\s+\d+\.\d\d\s+0\.00\s+\d+\.\d\d\s+1$/m);

    const csv = await runCli(['usage', ...period, '--group-by', 'project,site', '--csv', '-'], env);
    expectExit(csv, 0);
    expect(csv.stdout).toBe(await (await get(`/accounting/usage.csv?from=${PERIOD.from}&to=${PERIOD.to}&groupBy=project,site`)).text());

    const folder = mkdtempSync(join(tmpdir(), 'skypool-apel-'));
    try {
      const apel = await runCli(['usage', ...period, '--apel', folder], env);
      expectExit(apel, 0);
      expect(apel.stdout.trim()).toBe(`wrote 6 records in 1 message to ${folder}`);
      expect(readdirSync(folder)).toEqual(['00001.apel']);
      expect(readFileSync(join(folder, '00001.apel'), 'utf8')).toMatch(/^APEL-cloud-message: v0\.4\nVMUUID: /);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }

    const unknown = await runCli(['usage', '--group-by', 'planet'], env);
    expectExit(unknown, 2);
    expect(unknown.stderr).toMatch(/--group-by: "planet" is not one of project, site, institution, month, image, instance-type/);
  });
});
