import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import { Ec2Emulator } from '../src/compute/emulator/index.js';
import { ADMIN_TOKEN, eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { accessibilityViolations, launchBrowser, screenshot, signInToPortal } from './helpers/browser.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';

/**
 * The admin pages for sites, fair-share and the audit log, in real Chromium against a broker with
 * the demo federation (umich, edinburgh, tacc) and a stand-alone emulated cloud for the sites an
 * admin adds: the bootstrap admin drains and resumes a site, registers one by form, changes one's
 * settings, applies descriptor files after a dry run's diff, finds the drain in the audit log and
 * reads the fair-share order; a site admin of one institution manages only its sites; a
 * researcher sees none of these pages. Each page is checked with axe-core, for console errors and
 * requests that leave the broker, and at 390 px wide.
 */
const LAB_KEY = 'AKIAPORTALLAB';
const LAB_SECRET = 'portal-lab-secret-Xq9vW3nR5tY7uI9o';

const descriptor = (name: string, endpoint: string, options: { vcpus?: number | string; institution?: string; accessKeyId?: string } = {}) => `# a cloud of the physics department
name: ${name}
institution: ${options.institution ?? 'Physics Lab Institute'}
endpoint: ${endpoint}
region: RegionOne
availabilityZones: [nova]
accessKeyId: ${options.accessKeyId ?? LAB_KEY}
secretAccessKey: ${LAB_SECRET}
capacity: { vcpus: ${options.vcpus ?? 32}, memoryMiB: 131072 }
instanceTypes:
  - { name: m1.small, vcpus: 2, memoryMiB: 4096 }
images:
  - { image: ubuntu-22.04, imageId: ami-00000042 }
labels: { network: infiniband }
`;

const yamlFile = (name: string, text: string) => ({ name, mimeType: 'application/yaml', buffer: Buffer.from(text) });

describe('the admin pages: sites, fair-share, audit log', () => {
  let t: TestBroker;
  let browser: Browser;
  let emulator: Ec2Emulator;
  let emulatorUrl: string;
  let researcherToken: string;
  let siteAdminToken: string;

  beforeAll(async () => {
    t = await startTestBroker();
    browser = await launchBrowser();
    emulator = new Ec2Emulator();
    for (const name of ['lab', 'lab2', 'lab-ed']) {
      emulator.upsertSite({
        name,
        region: 'RegionOne',
        availabilityZones: ['nova'],
        accessKeyId: LAB_KEY,
        secretAccessKey: LAB_SECRET,
        instanceTypes: [{ name: 'm1.small', vcpus: 2, memoryMiB: 4096 }],
        images: [{ imageId: 'ami-00000042', name: 'ubuntu-22.04' }],
        pendingSeconds: 0,
      });
    }
    emulatorUrl = await emulator.listen();

    // two projects: climate-model runs something (its promised core-hours put it second in line), genomics nothing
    const climate = await projectWithAllocation(t.admin, { name: 'climate-model', institution: 'University of Michigan' }, { vcpus: 32, memoryMiB: 65536, coreHours: 1000 });
    await projectWithAllocation(t.admin, { name: 'genomics', institution: 'University of Edinburgh' }, { vcpus: 8, memoryMiB: 16384 });
    const requestId = await submitRequest(t.admin, { projectId: climate, image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 4096, leaseHours: 2 });
    await eventually(async () => {
      const { resourceRequest, projects } = await t.admin.data(`{ resourceRequest(id: "${requestId}") { state } projects { name usage { coreHoursPromised } } }`);
      const promised = projects.find((p: { name: string }) => p.name === 'climate-model').usage.coreHoursPromised;
      return resourceRequest.state === 'RUNNING' && promised > 0 ? true : undefined;
    }, 'the climate-model request running');

    const researcher = await t.admin.data(`mutation($p: ID!) { createServiceAccount(input: { name: "alice-admin-pages", role: RESEARCHER, projectId: $p }) { token } }`, { p: climate });
    researcherToken = researcher.createServiceAccount.token;
    const siteAdmin = await t.admin.data(`mutation { createServiceAccount(input: { name: "umich-site-admin", role: SITE_ADMIN, institution: "University of Michigan" }) { token } }`);
    siteAdminToken = siteAdmin.createServiceAccount.token;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await emulator?.close();
  });

  const signedIn = (token: string, width = 1280) => signInToPortal(browser, t.url, token, { width });

  const siteState = async (name: string) => {
    const { sites } = await t.admin.data(`{ sites { name draining capacity { vcpus } health } }`);
    return sites.find((s: { name: string }) => s.name === name);
  };

  /** The row of a site in the health table. */
  const healthRow = (page: Page, name: string): Locator => page.getByRole('region', { name: 'Health and placements' }).getByRole('row', { name: new RegExp(`^${name}(?![\\w-])`) });

  it('drains a site after asking, and resumes it; the API agrees each time', async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Sites' }).click();
    await page.getByRole('heading', { name: 'Sites', level: 1 }).waitFor();
    const umich = healthRow(page, 'umich');
    await expect(umich.getByText('Taking placements').waitFor()).resolves.toBeUndefined();
    // health, latency and last error in words, as the API has them
    const { healthReport } = (await t.admin.data(`{ sites { name healthReport { state lastError } } }`)).sites.find((s: { name: string }) => s.name === 'umich');
    await expect(umich.getByText(healthReport.state, { exact: true }).waitFor()).resolves.toBeUndefined();
    expect(['HEALTHY', 'DEGRADED', 'DOWN', 'UNKNOWN']).toContain(healthReport.state);
    await expect(umich.getByText(/^\d+ ms$/).waitFor()).resolves.toBeUndefined();
    await expect(umich.getByRole('cell', { name: healthReport.lastError ?? 'none' }).first().waitFor()).resolves.toBeUndefined();
    // capacity, with what the API can say about use
    const capacity = page.getByRole('region', { name: 'Capacity and use' });
    await expect(capacity.getByRole('row', { name: /^umich(?![\w-])/ }).getByText('256 vCPUs, 1 TiB, 0 GPUs, at most 100 instances').waitFor()).resolves.toBeUndefined();
    await screenshot(page, 'admin-sites');
    await expect(capacity.getByText('The API does not report what a site holds at this moment', { exact: false }).waitFor()).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);

    await umich.getByRole('button', { name: 'Drain umich' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Drain umich?' });
    await dialog.waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    // keeping it open changes nothing
    await dialog.getByRole('button', { name: 'Keep it open' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await siteState('umich')).draining).toBe(false);

    // by keyboard this time
    await umich.getByRole('button', { name: 'Drain umich' }).focus();
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: 'Yes, drain it' }).focus();
    await page.keyboard.press('Enter');
    await expect(umich.getByText(/^Draining since /).waitFor()).resolves.toBeUndefined();
    await expect(page.getByRole('status').getByText('umich is draining: no new placements.').waitFor()).resolves.toBeUndefined();
    expect((await siteState('umich')).draining).toBe(true);

    await umich.getByRole('button', { name: 'Resume umich' }).click();
    await expect(umich.getByText('Taking placements').waitFor()).resolves.toBeUndefined();
    expect((await siteState('umich')).draining).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it("registers a site by form, and changes a site's settings with the API's refusal next to its field", async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN);
    await page.goto(`${t.url}/admin/sites`);
    await page.getByRole('heading', { name: 'Sites', level: 1 }).waitFor();
    await page.getByText('A new site, by form').click();
    const form = page.getByRole('region', { name: 'Register a site' });
    await form.getByLabel('Name', { exact: true }).fill('lab');
    await form.getByLabel('Institution', { exact: true }).fill('Physics Lab Institute');
    await form.getByLabel('Endpoint', { exact: true }).fill(`${emulatorUrl}/lab`);
    await form.getByLabel('Region', { exact: true }).fill('RegionOne');
    await form.getByLabel('Access key id', { exact: true }).fill(LAB_KEY);
    await form.getByLabel('Secret access key', { exact: true }).fill(LAB_SECRET);
    await form.getByLabel('vCPUs', { exact: true }).fill('32');
    await form.getByLabel('Memory', { exact: true }).fill('128 GiB');
    await form.getByLabel('Availability zones', { exact: true }).fill('nova');
    await form.getByLabel('Instance types', { exact: true }).fill('m1.small 2 4 GiB');
    await form.getByLabel('Images', { exact: true }).fill('ubuntu-22.04 ami-00000042');
    // a line the form cannot read is named before anything is sent
    await form.getByLabel('Labels', { exact: true }).fill('infiniband');
    await form.getByRole('button', { name: 'Register site' }).click();
    await expect(form.locator('.field', { has: page.getByLabel('Labels', { exact: true }) }).getByText('line 1: expected key=value, e.g. gpu=a100').waitFor()).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);
    await form.getByLabel('Labels', { exact: true }).fill('network=infiniband');
    await form.getByRole('button', { name: 'Register site' }).click();
    // registered and probed at once: the emulated cloud answers (HEALTHY, or DEGRADED on a machine slow enough)
    await expect(page.getByRole('status').getByText(/^Registered lab: (HEALTHY|DEGRADED)/).waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    await expect(healthRow(page, 'lab').getByText(/^(HEALTHY|DEGRADED)$/).waitFor()).resolves.toBeUndefined();
    const { sites } = await t.admin.data(`{ sites { name institution endpoint capacity { vcpus memoryMiB } labels { key value } } }`);
    expect(sites.find((s: { name: string }) => s.name === 'lab')).toEqual({
      name: 'lab',
      institution: 'Physics Lab Institute',
      endpoint: `${emulatorUrl}/lab`,
      capacity: { vcpus: 32, memoryMiB: 131072 },
      labels: [{ key: 'network', value: 'infiniband' }],
    });

    // edinburgh's settings: a capacity the API refuses, in its words next to the field; then one it takes
    await healthRow(page, 'edinburgh').getByRole('button', { name: 'Edit settings of edinburgh' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings of edinburgh' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('vCPUs', { exact: true }).inputValue()).toBe('128');
    expect(await dialog.getByLabel('Memory', { exact: true }).inputValue()).toBe('512 GiB');
    expect(await dialog.getByLabel('Instance types', { exact: true }).inputValue()).toBe('standard.small 2 2 GiB\nstandard.large 4 16 GiB\nhimem.large 8 128 GiB');
    await dialog.getByLabel('vCPUs', { exact: true }).fill('0');
    await dialog.getByRole('button', { name: 'Save settings' }).click();
    await expect(
      dialog
        .locator('.field', { has: page.getByLabel('vCPUs', { exact: true }) })
        .getByText('capacity.vcpus: must be a whole number from 1 to 2147483647, got 0')
        .waitFor(),
    ).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);
    expect((await siteState('edinburgh')).capacity.vcpus).toBe(128);
    await dialog.getByLabel('vCPUs', { exact: true }).fill('160');
    await dialog.getByRole('button', { name: 'Save settings' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect(page.getByRole('status').getByText('Saved the settings of edinburgh', { exact: false }).waitFor()).resolves.toBeUndefined();
    expect((await siteState('edinburgh')).capacity.vcpus).toBe(160);
    await expect(page.getByRole('region', { name: 'Capacity and use' }).getByRole('row', { name: /^edinburgh(?![\w-])/ }).getByText(/^160 vCPUs/).waitFor()).resolves.toBeUndefined();
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it("applies descriptor files: problems with the file's line, the dry run's diff, then apply", async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN);
    await page.goto(`${t.url}/admin/sites`);
    const apply = page.getByRole('region', { name: 'Apply site descriptors' });
    const files = apply.getByLabel('Site descriptor files');
    await files.waitFor();

    // a credential reference cannot be read by a browser: refused before anything is sent
    await files.setInputFiles(yamlFile('lab2.yaml', descriptor('lab2', `${emulatorUrl}/lab2`, { accessKeyId: 'env:SKYPOOL_SITE_LAB_KEY' })));
    await expect(apply.getByRole('alert').getByText(/^lab2\.yaml:7: accessKeyId: env: references are read on the machine that applies the file/).waitFor()).resolves.toBeUndefined();
    // a value the API refuses: its words, at the file's line
    await files.setInputFiles(yamlFile('lab2.yaml', descriptor('lab2', `${emulatorUrl}/lab2`, { vcpus: -4 })));
    await apply.getByRole('button', { name: 'Check (dry run)' }).click();
    await expect(apply.getByRole('alert').getByText('lab2.yaml:9: capacity.vcpus: must be a whole number from 1 to 2147483647, got -4; nothing was checked').waitFor()).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);

    await files.setInputFiles(yamlFile('lab2.yaml', descriptor('lab2', `${emulatorUrl}/lab2`)));
    await apply.getByRole('button', { name: 'Check (dry run)' }).click();
    const diff = apply.getByRole('table', { name: /^Dry run: 1 to create, 0 to update, 0 unchanged/ });
    await diff.waitFor();
    await expect(diff.getByRole('row', { name: /^lab2 create all/ }).getByText('Physics Lab Institute', { exact: false }).waitFor()).resolves.toBeUndefined();
    expect(await siteState('lab2')).toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);
    await apply.getByRole('button', { name: 'Apply', exact: true }).click();
    const applied = apply.getByRole('table', { name: 'Applied: 1 created, 0 updated, 0 unchanged' });
    await expect(applied.getByRole('row', { name: /^lab2 created (HEALTHY|DEGRADED)/ }).waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    expect(await siteState('lab2')).toMatchObject({ capacity: { vcpus: 32 } });

    // the same site with more vCPUs: the diff shows the setting as it is and as the file has it
    await files.setInputFiles(yamlFile('lab2.yaml', descriptor('lab2', `${emulatorUrl}/lab2`, { vcpus: 48 })));
    await apply.getByRole('button', { name: 'Check (dry run)' }).click();
    const update = apply.getByRole('table', { name: /^Dry run: 0 to create, 1 to update, 0 unchanged/ }).getByRole('row', { name: /^lab2 update capacity/ });
    await expect(update.getByRole('cell', { name: '32 vCPUs, 128 GiB, 0 GPUs, any number of instances' }).waitFor()).resolves.toBeUndefined();
    await expect(update.getByRole('cell', { name: '48 vCPUs, 128 GiB, 0 GPUs, any number of instances' }).waitFor()).resolves.toBeUndefined();
    expect((await siteState('lab2')).capacity.vcpus).toBe(32);
    await apply.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(apply.getByRole('table', { name: 'Applied: 0 created, 1 updated, 0 unchanged' }).getByText('updated: capacity').waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    expect((await siteState('lab2')).capacity.vcpus).toBe(48);
    await expect(healthRow(page, 'lab2').waitFor()).resolves.toBeUndefined();
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('finds the drain in the audit log with the action filter, with who, what, when and its details', async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    // newest first, everything
    await expect(page.getByRole('row').filter({ hasText: 'site.register' }).first().waitFor()).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('Action').selectOption('site.drain');
    await page.waitForURL(/\?action=site\.drain$/);
    const log = page.getByRole('table', { name: 'Administrative changes, newest first' });
    const drain = log.locator(':scope > tbody > tr').first();
    await expect(drain.getByText('drained a site').waitFor()).resolves.toBeUndefined();
    expect(await log.getByText('resumed a site').count()).toBe(0);
    expect(await drain.textContent()).toContain('federation administrator (bootstrap token)');
    expect(await drain.textContent()).toContain('site umich');
    // its details, by keyboard: the drain's time, before none
    const details = page.getByRole('table', { name: /^site\.drain at .*: 1 changed$/ }).first();
    expect(await details.isVisible()).toBe(false);
    await drain.getByRole('button', { name: /^1 changed: site\.drain at / }).focus();
    await page.keyboard.press('Enter');
    await expect(details.getByRole('row', { name: /^drainingSince — \d{4}-/ }).waitFor()).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('lists the projects in fair-share order, with what each column means', async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Fair-share' }).click();
    const table = page.getByRole('table', { name: 'Served first at the top' });
    await table.waitFor();
    // genomics has used and been promised nothing; climate-model runs a lease
    const order = (await table.getByRole('rowheader').allTextContents()).filter((name) => /^(genomics|climate-model)/.test(name));
    expect(order[0]).toMatch(/^genomics/);
    expect(order[1]).toMatch(/^climate-model/);
    await expect(page.getByRole('definition').getByText('(decayed usage + promised) × priority factor; the lowest goes first.').waitFor()).resolves.toBeUndefined();
    await expect(page.getByRole('heading', { name: 'The last allocator cycle' }).waitFor()).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it("lets a site admin of one institution drain only that institution's sites", async () => {
    const { context, page, problems } = await signedIn(siteAdminToken);
    const admin = page.getByRole('navigation', { name: 'Admin' });
    await expect(admin.getByRole('link', { name: 'Sites' }).waitFor()).resolves.toBeUndefined();
    expect(await admin.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await admin.getByRole('link', { name: 'Sites' }).click();
    await page.getByRole('heading', { name: 'Sites', level: 1 }).waitFor();

    // another institution's site: no buttons, and why; the API refuses it anyway
    const edinburgh = healthRow(page, 'edinburgh');
    await expect(edinburgh.getByText("Managed by University of Edinburgh's site admins").waitFor()).resolves.toBeUndefined();
    expect(await edinburgh.getByRole('button').count()).toBe(0);
    const edinburghId = (await t.admin.data(`{ sites { id name } }`)).sites.find((s: { name: string }) => s.name === 'edinburgh').id;
    const refused = await t.admin.withToken(siteAdminToken).request(`mutation($id: ID!) { drainSite(id: $id) { id } }`, { id: edinburghId });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // and another institution's use is not shown as if it were known
    await expect(page.getByRole('region', { name: 'Capacity and use' }).getByRole('row', { name: /^edinburgh(?![\w-])/ }).getByText('not shown to you').first().waitFor()).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);

    // its own: drained and resumed
    const umich = healthRow(page, 'umich');
    await umich.getByRole('button', { name: 'Drain umich' }).click();
    await page.getByRole('alertdialog', { name: 'Drain umich?' }).getByRole('button', { name: 'Yes, drain it' }).click();
    await expect(umich.getByText(/^Draining since /).waitFor()).resolves.toBeUndefined();
    expect((await siteState('umich')).draining).toBe(true);
    await umich.getByRole('button', { name: 'Resume umich' }).click();
    await expect(umich.getByText('Taking placements').waitFor()).resolves.toBeUndefined();
    expect((await siteState('umich')).draining).toBe(false);

    // a descriptor for another institution's site: the API's refusal in words, at the file's line
    const apply = page.getByRole('region', { name: 'Apply site descriptors' });
    await apply.getByLabel('Site descriptor files').setInputFiles(yamlFile('lab-ed.yaml', descriptor('lab-ed', `${emulatorUrl}/lab-ed`, { institution: 'University of Edinburgh' })));
    await apply.getByRole('button', { name: 'Check (dry run)' }).click();
    await expect(
      apply.getByRole('alert').getByText('lab-ed.yaml:2: only a federation admin or a site admin of University of Edinburgh may manage its sites; nothing was checked').waitFor(),
    ).resolves.toBeUndefined();
    // the register form offers only its own institution
    await page.getByText('A new site, by form').click();
    expect(await page.getByRole('region', { name: 'Register a site' }).getByLabel('Institution').locator('option').allTextContents()).toEqual(['University of Michigan']);

    await page.goto(`${t.url}/admin/audit`);
    await expect(page.getByRole('heading', { name: 'Page not found' }).waitFor()).resolves.toBeUndefined();
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('shows a researcher none of these pages', async () => {
    const { context, page, problems } = await signedIn(researcherToken);
    expect(await page.getByRole('navigation', { name: 'Admin' }).count()).toBe(0);
    for (const path of ['sites', 'fair-share', 'audit']) {
      await page.goto(`${t.url}/admin/${path}`);
      await expect(page.getByRole('heading', { name: 'Page not found' }).waitFor()).resolves.toBeUndefined();
    }
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('works at 390 px wide: only tables scroll, inside their frame', async () => {
    const { context, page, problems } = await signedIn(ADMIN_TOKEN, 390);
    const pageWidth = () => page.evaluate('document.documentElement.scrollWidth');

    await page.goto(`${t.url}/admin/sites`);
    await healthRow(page, 'umich').waitFor();
    await page.getByText('A new site, by form').click();
    await page.getByRole('region', { name: 'Register a site' }).getByLabel('Instance types').waitFor();
    const apply = page.getByRole('region', { name: 'Apply site descriptors' });
    await apply.getByLabel('Site descriptor files').setInputFiles(yamlFile('lab2.yaml', descriptor('lab2', `${emulatorUrl}/lab2`, { vcpus: 64 })));
    await apply.getByRole('button', { name: 'Check (dry run)' }).click();
    await apply.getByRole('table', { name: /^Dry run:/ }).waitFor();
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    expect(await accessibilityViolations(page)).toEqual([]);
    await healthRow(page, 'umich').getByRole('button', { name: 'Edit settings of umich' }).click();
    await page.getByRole('dialog', { name: 'Settings of umich' }).getByLabel('Instance types').waitFor();
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    await page.getByRole('dialog', { name: 'Settings of umich' }).getByRole('button', { name: 'Close' }).click();

    await page.goto(`${t.url}/admin/fair-share`);
    await page.getByRole('table', { name: 'Served first at the top' }).waitFor();
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.goto(`${t.url}/admin/audit`);
    const log = page.getByRole('table', { name: 'Administrative changes, newest first' });
    await log.getByRole('button', { name: /^As made: / }).first().click();
    await log.getByRole('table').first().waitFor();
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});
