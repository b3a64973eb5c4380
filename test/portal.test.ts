import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Locator } from 'playwright-core';
import { DataSource } from 'typeorm';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { accessibilityViolations, launchBrowser, screenshot, signInToPortal, watchPage } from './helpers/browser.js';
import { createProject, projectWithAllocation, submitRequest } from './helpers/fixtures.js';

/**
 * The portal in real Chromium against a broker with the demo federation: a researcher signs in
 * with a token, asks for a VM with the form and its preview, watches it start without reloading,
 * extends its lease and cancels it; and cannot reach another project's request by its URL.
 * Screenshots of the pages go to docs/portal/ with UPDATE_SCREENSHOTS=1 (for the README), else
 * to a temporary folder.
 */
describe('the web portal', () => {
  let t: TestBroker;
  let browser: Browser;
  let researcherToken: string;
  let othersRequestId: string;

  beforeAll(async () => {
    t = await startTestBroker();
    browser = await launchBrowser();
    const projectId = await projectWithAllocation(t.admin, { name: 'climate-model', institution: 'University of Michigan' }, { vcpus: 32, memoryMiB: 65536, coreHours: 1000 });
    const { createServiceAccount } = await t.admin.data(`mutation($p: ID!) { createServiceAccount(input: { name: "alice-portal", role: RESEARCHER, projectId: $p }) { token } }`, { p: projectId });
    researcherToken = createServiceAccount.token;
    const otherProject = await projectWithAllocation(t.admin, { name: 'genomics', institution: 'University of Edinburgh' }, { vcpus: 8, memoryMiB: 16384 });
    othersRequestId = await submitRequest(t.admin, { projectId: otherProject, image: 'rocky-9', vcpus: 2, memoryMiB: 2048, leaseHours: 1 });
    await createProject(t.admin, { name: 'unrelated', institution: 'University of Michigan' });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const signedIn = (width = 1280) => signInToPortal(browser, t.url, researcherToken, { width });

  it('answers a wrong token next to the field, in words', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { problems } = watchPage(page, t.url);
    await page.goto(`${t.url}/requests`);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('Token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText('unknown or revoked token').waitFor()).resolves.toBeUndefined();
    await screenshot(page, 'sign-in');
    // the 401 of the refused token is the only failed response
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await context.close();
  }, 60_000);

  it('asks for a VM with the form, previews where it lands, watches it start, extends and cancels it', async () => {
    const { context, page, problems } = await signedIn();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'New request' }).click();
    await page.getByRole('heading', { name: 'New request' }).waitFor();

    await page.getByLabel('Project').selectOption({ label: 'climate-model (University of Michigan)' });
    await page.getByLabel('Image').selectOption('ubuntu-22.04');
    await page.getByLabel('vCPUs').fill('2');
    await page.getByLabel('Memory').fill('4 GiB');
    await page.getByLabel('Instances').fill('1');
    await page.getByLabel('Lease (hours)').fill('2');
    // the preview follows the form: a site in rank order and what it costs
    const preview = page.getByRole('region', { name: 'Preview' });
    await expect(preview.getByText(/Would start now on (umich|tacc)\./).waitFor()).resolves.toBeUndefined();
    await expect(preview.getByText('Estimated core-hours').waitFor()).resolves.toBeUndefined();
    expect(await preview.getByRole('list', { name: 'Where it would start, best first' }).getByRole('listitem').count()).toBeGreaterThan(0);
    // and how each site stands: Edinburgh does not offer the image
    await expect(preview.getByRole('table', { name: 'How each site stands' }).getByRole('row').filter({ hasText: 'edinburgh' }).getByText('NO_IMAGE').waitFor()).resolves.toBeUndefined();

    // more than the project's quota: the preview says in words why it would wait
    await page.getByLabel('vCPUs').fill('16');
    await page.getByLabel('Instances').fill('3');
    await expect(preview.getByText("Would wait: the request needs at least 48 vCPUs at once; the project's allocations allow 32 in all.").waitFor()).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('Instances').fill('1');
    await page.getByLabel('vCPUs').fill('2');
    await expect(preview.getByText(/Would start now on/).waitFor()).resolves.toBeUndefined();
    await screenshot(page, 'new-request');

    // what is wrong is said next to the field: read here (memory), or refused by the broker (sites)
    await page.getByLabel('Memory').fill('lots');
    await page.getByRole('button', { name: 'Submit request' }).click();
    await expect(page.getByText('MiB, or a number with a unit: 4096, 4 GiB, 512 MiB').waitFor()).resolves.toBeUndefined();
    await expect(page.getByLabel('Memory').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.getByLabel('Memory').fill('4 GiB');
    await page.getByText('More options').click();
    await page.getByLabel('Sites').fill('nowhere');
    await page.getByRole('button', { name: 'Submit request' }).click();
    await expect(page.getByLabel('Sites').and(page.locator('[aria-invalid="true"]')).waitFor()).resolves.toBeUndefined();
    const refusal = await page.getByLabel('Sites').evaluate((input) => input.ownerDocument.getElementById(input.getAttribute('aria-describedby')!.split(' ').at(-1)!)?.textContent);
    expect(refusal).toMatch(/^sites: .*nowhere/);
    expect(page.url()).toMatch(/\/requests\/new$/);
    await page.getByLabel('Sites').fill('');
    await expect(preview.getByText(/Would start now on/).waitFor()).resolves.toBeUndefined();

    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    const requestId = page.url().split('/').at(-1)!;
    // RUNNING arrives over the subscription, without a reload
    await expect(page.locator('.page-heading .state').getByText('RUNNING', { exact: true }).waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    const ssh = page.getByText(/^ssh ubuntu@127\.\d+\.\d+\.\d+$/);
    await expect(ssh.waitFor()).resolves.toBeUndefined();
    await expect(page.getByRole('heading', { name: 'Timeline' }).waitFor()).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'request-running');

    const leaseBefore = (await t.admin.data(`{ resourceRequest(id: "${requestId}") { leaseEndsAt } }`)).resourceRequest.leaseEndsAt;
    await page.getByLabel('Extend lease by (hours)').fill('1');
    await page.getByRole('button', { name: 'Extend lease' }).click();
    await expect(page.getByText('Lease extended.').waitFor()).resolves.toBeUndefined();
    const leaseAfter = (await t.admin.data(`{ resourceRequest(id: "${requestId}") { leaseEndsAt } }`)).resourceRequest.leaseEndsAt;
    expect(Date.parse(leaseAfter) - Date.parse(leaseBefore)).toBe(3_600_000);

    // cancelling asks first; keyboard only
    await page.getByRole('button', { name: 'Cancel request' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: 'Cancel this request?' });
    await dialog.waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Yes, cancel it' }).focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('.page-heading .state').getByText(/^(TERMINATING|TERMINATED|CANCELLED)$/).waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    const { resourceRequest } = await t.admin.data(`{ resourceRequest(id: "${requestId}") { state } }`);
    expect(['TERMINATING', 'TERMINATED', 'CANCELLED']).toContain(resourceRequest.state);

    // the list shows it, with its project, and filters by state
    await page.getByRole('link', { name: 'Requests', exact: true }).click();
    await expect(page.getByRole('row').filter({ hasText: 'climate-model' }).first().waitFor()).resolves.toBeUndefined();
    await page.getByLabel('State').selectOption('RUNNING');
    await expect(page.getByText('No requests match these filters.').waitFor()).resolves.toBeUndefined();
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows its projects, with what they use and their budget', async () => {
    const { context, page, problems } = await signedIn();
    await page.getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('heading', { name: /climate-model/ }).waitFor();
    await expect(page.getByText(/core-hours used/).first().waitFor()).resolves.toBeUndefined();
    await expect(page.getByRole('meter', { name: 'vCPUs' }).waitFor()).resolves.toBeUndefined();
    // the budget's burn-down: 1,000 core-hours, less what the other journeys used
    await expect(page.getByRole('figure', { name: /^Core-hours left/ }).locator('svg').first().waitFor()).resolves.toBeUndefined();
    // a researcher of one project sees that project only
    expect(await page.getByRole('heading', { name: /genomics|unrelated/ }).count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'projects');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it("cannot reach another project's request by its URL, and sees no admin pages", async () => {
    const { context, page, problems } = await signedIn();
    await page.goto(`${t.url}/requests/${othersRequestId}`);
    await expect(page.getByRole('heading', { name: 'Request not found' }).waitFor()).resolves.toBeUndefined();
    expect(await page.getByText('rocky-9').count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Requests', 'New request', 'Projects', 'Usage']);
    expect(await page.getByRole('navigation', { name: 'Admin' }).count()).toBe(0);
    await page.goto(`${t.url}/admin/sites`);
    await expect(page.getByRole('heading', { name: 'Page not found' }).waitFor()).resolves.toBeUndefined();
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('signs in and asks for a VM by keyboard alone', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { problems } = watchPage(page, t.url);
    /** Tabs forward until `target` has the focus, as a keyboard user would reach it. */
    const tabTo = async (target: Locator) => {
      for (let presses = 0; presses < 40; presses++) {
        await page.keyboard.press('Tab');
        if (await target.evaluate((element) => element === element.ownerDocument.activeElement)) return;
      }
      throw new Error(`${target} cannot be reached with Tab`);
    };
    await page.goto(`${t.url}/`);
    await tabTo(page.getByLabel('Token'));
    await page.keyboard.type(researcherToken);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Requests' }).waitFor();

    await tabTo(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New request' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'New request' }).waitFor();
    await tabTo(page.getByLabel('vCPUs'));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('1');
    await tabTo(page.getByLabel('Lease (hours)'));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('1');
    await expect(page.getByRole('region', { name: 'Preview' }).getByText(/Would start now on/).waitFor()).resolves.toBeUndefined();
    await tabTo(page.getByRole('button', { name: 'Submit request' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    await expect(page.locator('.page-heading .state').getByText('RUNNING', { exact: true }).waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    await tabTo(page.getByRole('button', { name: 'Cancel request' }));
    await page.keyboard.press('Enter');
    await page.getByRole('alertdialog', { name: 'Cancel this request?' }).waitFor();
    // the dialog holds the focus, on "Keep it"; Escape closes it and nothing is cancelled
    await page.keyboard.press('Escape');
    await expect(page.getByRole('alertdialog').count()).resolves.toBe(0);
    await expect(page.locator('.page-heading .state').getByText('RUNNING', { exact: true }).isVisible()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('pages through 10,000 requests 50 at a time: the page never holds more than one page', async () => {
    // 10,000 ended requests of the researcher's project, written at once (submitting them would take minutes)
    const projectId = (await t.admin.data('{ projects { id name } }')).projects.find((p: { name: string }) => p.name === 'climate-model').id;
    await t.broker.app.get(DataSource).query(
      `INSERT INTO resource_request (project_id, submitted_by, image, vcpus, memory_mib, count, min_count, lease_hours, state, created_at)
       SELECT $1, 'bulk', 'ubuntu-22.04', 1, 1024, 1, 1, 1, 'CANCELLED', now() - n * interval '1 second' FROM generate_series(1, 10000) AS n`,
      [projectId],
    );
    const { context, page, problems } = await signedIn();
    const rows = page.getByRole('table', { name: 'Requests, newest first' }).locator('tbody tr');
    await page.getByLabel('State').selectOption('CANCELLED');
    await expect(rows.first().waitFor()).resolves.toBeUndefined();
    expect(await rows.count()).toBe(50);
    const firstPage = await rows.first().textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    // (polled from here: waitForFunction evaluates a string in the page, which its CSP forbids)
    const firstRowIs = (wanted: boolean) => eventually(async () => (((await rows.first().textContent()) === firstPage) === wanted ? true : undefined), 'the page to turn');
    await firstRowIs(false);
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await firstRowIs(true);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('works at 390 px wide: nothing wider than the screen', async () => {
    const { context, page, problems } = await signedIn(390);
    await page.getByRole('link', { name: 'New request' }).click();
    await page.getByLabel('Lease (hours)').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, 'new-request-phone');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('serves hashed assets for a year, the page with a Content-Security-Policy, and signs out', async () => {
    const html = await fetch(`${t.url}/requests/anything`, { headers: { Accept: 'text/html' } });
    expect(html.status).toBe(200);
    expect(html.headers.get('cache-control')).toBe('no-cache');
    expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
    const body = await html.text();
    expect(body).not.toMatch(/<script>(?!<\/script>)/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(body)![1]!;
    const script = await fetch(`${t.url}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${t.url}/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${t.url}/assets/nothing-here.js`)).status).toBe(404);
    // the API's own paths are not the portal's
    expect((await fetch(`${t.url}/healthz`, { headers: { Accept: 'text/html' } })).headers.get('content-type')).toMatch(/json/);

    const { context, page, problems } = await signedIn();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    await page.reload();
    await expect(page.getByLabel('Token').waitFor()).resolves.toBeUndefined();
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
