import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { AccountingScheduler } from '../src/accounting/accounting.scheduler.js';
import { User } from '../src/identity/entities/user.entity.js';
import { LoginSessions } from '../src/identity/oidc/login-sessions.service.js';
import { ADMIN_TOKEN, eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { accessibilityViolations, launchBrowser, screenshot, signInToPortal, watchPage } from './helpers/browser.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';

const MICHIGAN = 'University of Michigan';
const EDINBURGH = 'University of Edinburgh';

/**
 * The admin pages of the portal in real Chromium against a broker with the demo federation:
 * projects and allocations (create, grant, change, revoke, members), tokens (a service account shown
 * once, working, revoked; a person's own token), and usage (a report of what ran, its CSV and APEL
 * downloads with the session cookie); a researcher sees none of the admin pages but the usage of
 * their own project; each page passes axe and fits 390 px.
 */
describe('the portal admin pages: projects and allocations, tokens, usage', () => {
  let t: TestBroker;
  let browser: Browser;
  let astro: string;
  let researcherToken: string;
  let ada: User;
  /** the UTC days the requests started on (the same day, unless they straddle midnight), for the usage page's period */
  let ranFrom: string;
  let ranTo: string;
  /** the usage table's caption words for that period */
  let periodWords: string;

  const graphql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  };
  const projectNamed = async (name: string) =>
    (await t.admin.data(`{ projects { id name members { user { id } role } allocations { id vcpus memoryMiB gpus instances coreHours gpuHours startsAt endsAt revokedAt terminateAfterMinutes } } }`)).projects.find(
      (p: { name: string }) => p.name === name,
    );

  beforeAll(async () => {
    t = await startTestBroker();
    browser = await launchBrowser();
    astro = await projectWithAllocation(t.admin, { name: 'astro', institution: MICHIGAN }, { vcpus: 16, memoryMiB: 32768, coreHours: 500 });
    const bio = await projectWithAllocation(t.admin, { name: 'bio', institution: EDINBURGH }, { vcpus: 16, memoryMiB: 32768, coreHours: 500 });
    const { createServiceAccount } = await t.admin.data(`mutation($p: ID!) { createServiceAccount(input: { name: "astro-researcher", role: RESEARCHER, projectId: $p }) { token } }`, { p: astro });
    researcherToken = createServiceAccount.token;
    // users come from OpenID Connect logins; here one is written as a login would write her
    ada = await t.broker.app.get(DataSource).getRepository(User).save({ issuer: 'https://idp.example.edu', subject: 'ada', email: 'ada@umich.edu', emailVerified: true, displayName: 'Ada Lovelace' });

    // something runs in both projects, and its first started minute is charged
    const requests = [
      await submitRequest(t.admin, { projectId: astro, image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 2048, leaseHours: 1 }),
      await submitRequest(t.admin, { projectId: bio, image: 'rocky-9', vcpus: 1, memoryMiB: 1024, leaseHours: 1 }),
    ];
    for (const id of requests) {
      await eventually(async () => ((await t.admin.data(`{ resourceRequest(id: "${id}") { state } }`)).resourceRequest.state === 'RUNNING' ? true : undefined), `request ${id} RUNNING`);
    }
    await t.broker.app.get(AccountingScheduler).run();
    const days: string[] = [];
    for (const id of requests) {
      const { resourceRequest } = await t.admin.data(`{ resourceRequest(id: "${id}") { instances { startedAt } } }`);
      days.push(new Date(resourceRequest.instances[0].startedAt).toISOString().slice(0, 10));
    }
    [ranFrom, ranTo] = [days.sort()[0]!, days.at(-1)!];
    periodWords = ranFrom === ranTo ? ranFrom : `${ranFrom} to ${ranTo}`;
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const signedIn = (token: string, width = 1280) => signInToPortal(browser, t.url, token, { width, permissions: ['clipboard-read', 'clipboard-write'] });

  /** The field (label, input, description, error) in `scope` whose input has this label. */
  const fieldOf = (scope: Page | Locator, label: string) => {
    const page = 'page' in scope ? scope.page() : scope;
    // the inner locator of `has` is queried inside each field: it starts from the page
    return scope.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) });
  };

  const noHorizontalScroll = async (page: Page) => expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);

  it('creates a project, grants it an allocation by the form, changes it and revokes it; refusals show next to their field', async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Projects and allocations' }).click();
    await page.getByRole('heading', { name: 'Projects and allocations', level: 1 }).waitFor();
    await page.getByRole('table', { name: /Projects you may see/ }).getByRole('link', { name: 'astro' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);

    // a project, by the form: it is chosen at once
    const create = page.getByRole('region', { name: 'Create a project' });
    await create.getByLabel('Name', { exact: true }).fill('portal-made');
    await create.getByLabel('Institution', { exact: true }).fill(MICHIGAN);
    await create.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: /^portal-made/, level: 2 }).waitFor();
    expect(page.url()).toContain('?project=');
    const made = await projectNamed('portal-made');
    expect(made).toMatchObject({ allocations: [], members: [] });
    // the same name again: the refusal is next to Name
    await create.getByLabel('Name', { exact: true }).fill('portal-made');
    await create.getByRole('button', { name: 'Create project' }).click();
    await fieldOf(create, 'Name').getByText('a project named portal-made already exists').waitFor();

    const grant = page.getByRole('region', { name: 'Grant an allocation' });
    // the API refuses a negative count, naming the field: the words go next to vCPUs
    await grant.getByLabel('vCPUs', { exact: true }).fill('-2');
    await grant.getByLabel('Memory', { exact: true }).fill('4 GiB');
    await grant.getByRole('button', { name: 'Grant allocation' }).click();
    await fieldOf(grant, 'vCPUs').getByText(/^vcpus: must be a whole number from 0/).waitFor();
    expect(await grant.getByLabel('vCPUs', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await accessibilityViolations(page)).toEqual([]);
    // memory left empty: said next to Memory, and nothing is granted
    await grant.getByLabel('vCPUs', { exact: true }).fill('8');
    await grant.getByLabel('Memory', { exact: true }).fill('');
    await grant.getByRole('button', { name: 'Grant allocation' }).click();
    await fieldOf(grant, 'Memory').getByText(/give the memory it allows at once/).waitFor();
    expect(await fieldOf(grant, 'vCPUs').locator('.field-error').count()).toBe(0);
    expect((await projectNamed('portal-made')).allocations).toEqual([]);

    await grant.getByLabel('Memory', { exact: true }).fill('16 GiB');
    await grant.getByLabel('Instances', { exact: true }).fill('4');
    await grant.getByLabel('Core-hours', { exact: true }).fill('250');
    await grant.getByLabel('Ends', { exact: true }).fill('2099-12-31');
    await grant.getByRole('button', { name: 'Grant allocation' }).click();
    await grant.getByText('Allocation granted.').waitFor();
    const [granted] = (await projectNamed('portal-made')).allocations;
    expect(granted).toMatchObject({ vcpus: 8, memoryMiB: 16384, gpus: 0, instances: 4, coreHours: 250, gpuHours: null, startsAt: null, endsAt: '2099-12-31T00:00:00.000Z', revokedAt: null });
    const short = granted.id.slice(0, 8);
    const row = page.getByRole('table', { name: 'Allocations of portal-made' }).getByRole('row').filter({ hasText: short });
    await row.getByText('In force').waitFor();

    // changed in a dialog: a refusal stays in it, next to the field; then only what changed is sent
    await row.getByRole('button', { name: `Change allocation ${short}` }).click();
    const change = page.getByRole('dialog', { name: `Change allocation ${short}` });
    await change.waitFor();
    expect(await change.getByLabel('Memory', { exact: true }).inputValue()).toBe('16 GiB');
    expect(await accessibilityViolations(page)).toEqual([]);
    await change.getByLabel('vCPUs', { exact: true }).fill('-1');
    await change.getByRole('button', { name: 'Save changes' }).click();
    await fieldOf(change, 'vCPUs').getByText(/^vcpus: must be a whole number/).waitFor();
    await change.getByLabel('vCPUs', { exact: true }).fill('12');
    await change.getByLabel('Core-hours', { exact: true }).fill('');
    await change.getByRole('button', { name: 'Save changes' }).click();
    await change.waitFor({ state: 'detached' });
    expect((await projectNamed('portal-made')).allocations[0]).toMatchObject({ vcpus: 12, memoryMiB: 16384, coreHours: null, endsAt: '2099-12-31T00:00:00.000Z', revokedAt: null });
    await row.getByRole('cell', { name: '12', exact: true }).waitFor();

    // revoked with a confirmation, by keyboard, with when to end what it no longer covers
    await row.getByRole('button', { name: `Revoke allocation ${short}` }).focus();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('alertdialog', { name: `Revoke allocation ${short}?` });
    await confirm.waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await confirm.getByLabel('Terminate after (minutes)').fill('30');
    await confirm.getByRole('button', { name: 'Yes, revoke it' }).focus();
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    await row.getByText(/^Revoked/).waitFor();
    const [revoked] = (await projectNamed('portal-made')).allocations;
    expect(revoked.revokedAt).not.toBeNull();
    expect(revoked.terminateAfterMinutes).toBe(30);
    expect(await row.getByRole('button', { name: /Change|Revoke/ }).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it("adds a member by user id with a role and removes them; an unknown user is said next to the field", async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN);
    await page.goto(`${t.url}/admin/projects?project=${astro}`);
    await page.getByRole('heading', { name: /^astro/, level: 2 }).waitFor();
    const add = page.getByRole('region', { name: 'Add a member' });
    await add.getByLabel('User id or e-mail').fill('00000000-0000-4000-8000-000000000000');
    await add.getByRole('button', { name: 'Add member' }).click();
    await fieldOf(add, 'User id or e-mail').getByText('user 00000000-0000-4000-8000-000000000000 does not exist').waitFor();

    await add.getByLabel('User id or e-mail').fill(ada.id);
    await add.getByLabel('Role').selectOption('PROJECT_MANAGER');
    await add.getByRole('button', { name: 'Add member' }).click();
    await add.getByText('Ada Lovelace is now PROJECT_MANAGER.').waitFor();
    const members = page.getByRole('table', { name: 'Members of astro' });
    await members.getByRole('row').filter({ hasText: 'Ada Lovelace' }).getByText('PROJECT_MANAGER').waitFor();
    expect((await projectNamed('astro')).members).toEqual([{ user: { id: ada.id }, role: 'PROJECT_MANAGER' }]);
    expect(await accessibilityViolations(page)).toEqual([]);

    await members.getByRole('button', { name: 'Remove Ada Lovelace' }).click();
    await page.getByRole('alertdialog', { name: 'Remove Ada Lovelace from astro?' }).getByRole('button', { name: 'Yes, remove' }).click();
    await page.getByText('No members given by hand or by the identity provider yet.').waitFor();
    expect((await projectNamed('astro')).members).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('makes a service-account token shown once with a Copy button; it works as a bearer token until revoked', async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Tokens' }).click();
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Tokens, newest first' }).getByRole('row').filter({ hasText: 'astro-researcher' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);

    const form = page.getByRole('region', { name: 'New service account' });
    await form.getByLabel('Name', { exact: true }).fill('ci-runner');
    await form.getByLabel('Role').selectOption('RESEARCHER');
    await form.getByLabel('Project').selectOption({ label: `astro (${MICHIGAN})` });
    // longer than the broker allows: the API's refusal is next to the field
    await form.getByLabel('Expires in (days)').fill('9999');
    await form.getByRole('button', { name: 'Create service account' }).click();
    await fieldOf(form, 'Expires in (days)').getByText(/^expiresInDays: must be a whole number from 1 to 365/).waitFor();
    await form.getByLabel('Expires in (days)').fill('30');
    await form.getByRole('button', { name: 'Create service account' }).click();

    const shown = page.getByRole('dialog', { name: 'Token ci-runner' });
    await shown.waitFor();
    await shown.getByText('this is the only time it is shown').waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    const token = (await shown.locator('code.secret').textContent())!;
    expect(token.length).toBeGreaterThan(20);
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);

    const me = await graphql(token, '{ me { kind roles { role project { name } } } }');
    expect(me.data.me).toEqual({ kind: 'service-account', roles: [{ role: 'RESEARCHER', project: { name: 'astro' } }] });

    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    // once: it is nowhere on the page any more
    expect(await page.getByText(token).count()).toBe(0);
    const row = page.getByRole('table', { name: 'Tokens, newest first' }).getByRole('row').filter({ hasText: 'ci-runner' });
    await row.getByText('astro').waitFor();
    await row.getByText('Active').waitFor();

    await row.getByRole('button', { name: 'Revoke token ci-runner' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke token ci-runner?' });
    expect(await accessibilityViolations(page)).toEqual([]);
    await confirm.getByRole('button', { name: 'Yes, revoke it' }).click();
    await row.getByText(/^Revoked/).waitFor();
    const refused = await graphql(token, '{ me { kind } }');
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('lets a person signed in through their identity provider make a personal token', async () => {
    await t.admin.data(`mutation($p: ID!, $u: ID) { addProjectMember(input: { projectId: $p, userId: $u, role: PROJECT_MANAGER }) { role } }`, { p: astro, u: ada.id });
    // her browser session, as an OpenID Connect login makes it
    const { token: session } = await t.broker.app.get(LoginSessions).create(t.broker.app.get(DataSource).manager, ada.id);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: 'skypool_session', value: session, url: t.url }]);
    const page = await context.newPage();
    const { problems } = watchPage(page, t.url);
    await page.goto(`${t.url}/admin/tokens`);
    const personal = page.getByRole('region', { name: 'New personal token' });
    await personal.waitFor();
    // a manager makes service accounts of her project only
    const accounts = page.getByRole('region', { name: 'New service account' });
    expect(await accounts.getByLabel('Role').locator('option').allTextContents()).toEqual(['RESEARCHER', 'PROJECT_MANAGER']);
    expect(await accounts.getByLabel('Project').locator('option').allTextContents()).toEqual([`astro (${MICHIGAN})`]);
    expect(await accessibilityViolations(page)).toEqual([]);

    await personal.getByLabel('Token name').fill('laptop');
    await personal.getByLabel('Only in project').selectOption({ label: `astro (${MICHIGAN})` });
    await personal.getByRole('button', { name: 'Create personal token' }).click();
    const shown = page.getByRole('dialog', { name: 'Token laptop' });
    await shown.waitFor();
    const token = (await shown.locator('code.secret').textContent())!;
    const me = await graphql(token, '{ me { id kind } }');
    expect(me.data.me).toEqual({ id: `user:${ada.id}`, kind: 'user' });
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('table', { name: 'Tokens, newest first' }).getByRole('row').filter({ hasText: 'laptop' }).getByText('personal').waitFor();
    expect(problems).toEqual([]);
    await context.close();
    await t.admin.data(`mutation($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) }`, { p: astro, u: ada.id });
  }, 60_000);

  it('reports usage of a period by a chosen grouping, with a chart, the balance, and CSV and APEL downloads that open with the session', async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    await page.getByLabel('From', { exact: true }).fill(ranFrom);
    await page.getByLabel('To', { exact: true }).fill(ranTo);
    const table = page.getByRole('table', { name: `Usage by project, ${periodWords}` });
    await table.getByRole('rowheader', { name: 'astro', exact: true }).waitFor();
    await table.getByRole('rowheader', { name: 'bio', exact: true }).waitFor();
    await page.getByRole('figure').getByText('Core-hours by project').waitFor();
    await page.getByRole('heading', { name: "The federation's balance" }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'usage');

    const csvLink = page.getByRole('link', { name: 'Download CSV' });
    const csv = await page.request.get(`${t.url}${await csvLink.getAttribute('href')}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    const body = await csv.text();
    expect(body.split('\n')[0]).toContain('core_hours');
    expect(body).toContain('astro');
    expect(body).toContain('bio');
    // the browser saves it as a file
    const [download] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    expect(download.suggestedFilename()).toBe('skypool-usage.csv');
    const apel = await page.request.get(`${t.url}${await page.getByRole('link', { name: 'Download APEL' }).getAttribute('href')}`);
    expect(apel.status()).toBe(200);
    expect(await apel.text()).toMatch(/^APEL-cloud-message: v0\.4/);

    // another grouping: the same period by site
    await page.getByLabel('Group by').selectOption('SITE');
    const bySite = page.getByRole('table', { name: `Usage by site, ${periodWords}` });
    await bySite.getByRole('rowheader').first().waitFor();
    expect(new URL(`${t.url}${await csvLink.getAttribute('href')}`).searchParams.get('groupBy')).toBe('site');
    // a period that ends before it starts is said next to To
    await page.getByLabel('To', { exact: true }).fill('2000-01-01');
    await fieldOf(page, 'To').getByText('on or after the first day').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows a researcher no admin pages, and the usage of their project only', async () => {
    const { context, page, problems } = await signedIn(researcherToken);
    expect(await page.getByRole('navigation', { name: 'Admin' }).count()).toBe(0);
    for (const path of ['/admin/projects', '/admin/tokens']) {
      await page.goto(`${t.url}${path}`);
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    }
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByLabel('From', { exact: true }).fill(ranFrom);
    await page.getByLabel('To', { exact: true }).fill(ranTo);
    const table = page.getByRole('table', { name: `Usage by project, ${periodWords}` });
    await table.getByRole('rowheader', { name: 'astro', exact: true }).waitFor();
    expect(await table.getByRole('rowheader').allTextContents()).toEqual(['astro']);
    expect(await page.getByRole('heading', { name: "The federation's balance" }).count()).toBe(0);
    const csv = await page.request.get(`${t.url}${await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')}`);
    expect(csv.status()).toBe(200);
    const body = await csv.text();
    expect(body).toContain('astro');
    expect(body).not.toContain('bio');
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('works at 390 px wide: no page scrolls sideways', async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN, 390);
    await page.goto(`${t.url}/admin/projects?project=${astro}`);
    await page.getByRole('heading', { name: /^astro/, level: 2 }).waitFor();
    await page.getByRole('region', { name: 'Grant an allocation' }).waitFor();
    await noHorizontalScroll(page);
    expect(await accessibilityViolations(page)).toEqual([]);
    const short = (await projectNamed('astro')).allocations[0].id.slice(0, 8);
    await page.getByRole('button', { name: `Change allocation ${short}` }).click();
    await page.getByRole('dialog', { name: `Change allocation ${short}` }).waitFor();
    await noHorizontalScroll(page);
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.goto(`${t.url}/admin/tokens`);
    await page.getByRole('table', { name: 'Tokens, newest first' }).waitFor();
    await noHorizontalScroll(page);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.goto(`${t.url}/usage?from=${ranFrom}&to=${ranTo}`);
    await page.getByRole('table', { name: `Usage by project, ${periodWords}` }).waitFor();
    await page.getByRole('figure').locator('svg').first().waitFor();
    await noHorizontalScroll(page);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
