import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { eventually } from './helpers/broker.js';
import { type BrokerProcess, spawnBroker } from './helpers/broker-process.js';
import { accessibilityViolations, launchBrowser, watchPage } from './helpers/browser.js';

/**
 * The README's promise: after `npm install && npm start` (a broker process with no configuration:
 * the embedded database, the demo federation and its demo project), a new user opens the link the
 * broker printed and, without reading anything else, asks for a VM and watches it start.
 */
describe('the quick start in the portal', () => {
  let dataDir: string;
  let broker: BrokerProcess;
  let browser: Browser;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skypool-quick-start-'));
    broker = await spawnBroker({ SKYPOOL_DATA_DIR: dataDir });
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens the printed link, asks for a VM with the defaults and sees it RUNNING', async () => {
    // the link is on a line of its own on stderr, for a person to copy
    const link = await eventually(async () => /^ {8}(http:\/\/\S+\/auth\/link\?code=\S+)$/m.exec(broker.output())?.[1], 'the sign-in link');
    const page = await browser.newPage();
    const { problems } = watchPage(page, broker.url);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Requests' }).waitFor();
    await page.getByRole('link', { name: 'New request' }).click();
    await page.getByRole('heading', { name: 'New request' }).waitFor();
    // the demo project is chosen, and the form's defaults fit the demo federation
    await expect(page.getByLabel('Project').locator('option:checked').textContent()).resolves.toBe('demo (University of Michigan)');
    await expect(page.getByRole('region', { name: 'Preview' }).getByText(/Would start now on/).waitFor()).resolves.toBeUndefined();
    await page.getByRole('button', { name: 'Submit request' }).click();
    await expect(page.locator('.page-heading .state').getByText('RUNNING', { exact: true }).waitFor({ timeout: 60_000 })).resolves.toBeUndefined();
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);

    // the link worked once: a second visit is refused in words
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('this sign-in link has been used or has expired');
  }, 120_000);
});
