import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, startTestBroker, type TestBroker } from './helpers/broker.js';
import { launchBrowser } from './helpers/browser.js';

/** The API explorer at /graphql, in real Chromium: it must work on a machine without internet. */
describe('the API explorer', () => {
  let t: TestBroker;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestBroker({ sites: '' });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('loads from the broker alone and runs a query with the token given in its Headers tab', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(t.url)) elsewhere.push(r.url());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('response', async (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.request().method()} ${r.url()} ${r.request().postData()?.slice(0, 100)}: ${(await r.text().catch(() => '')).slice(0, 300)}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${t.url}/graphql`);
    await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });
    await expect(page.getByText('Loading the API explorer...').count()).resolves.toBe(0);

    // the Headers tab is open with a place for the token
    const headers = page.locator('.graphiql-editor-tool .graphiql-editor', { hasText: 'Bearer <paste your token here>' });
    await expect(headers.waitFor()).resolves.toBeUndefined();
    await headers.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(`{"Authorization": "Bearer ${ADMIN_TOKEN}"`);

    await page.getByRole('button', { name: /execute query/i }).click();
    await expect(page.locator('.result-window').getByText('bootstrap-admin').waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
  }, 90_000);

  it("serves its files from the portal's built assets, and nothing beside them", async () => {
    const page = await (await fetch(`${t.url}/graphql`, { headers: { Accept: 'text/html' } })).text();
    const stylesheet = /href="(\/assets\/explorer-[\w-]+\.css)"/.exec(page)![1]!;
    const css = await fetch(`${t.url}${stylesheet}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${t.url}/assets/package.json`)).status).toBe(404);
    expect((await fetch(`${t.url}/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });
});
