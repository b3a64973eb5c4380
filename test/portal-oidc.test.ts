import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { accessibilityViolations, launchBrowser, watchPage } from './helpers/browser.js';
import { projectWithAllocation } from './helpers/fixtures.js';
import { freePort, startRealProvider } from './helpers/oidc.js';

const CLIENT_ID = 'skypool';
const CLIENT_SECRET = 'portal-provider-client-secret';
// the provider's user is a researcher of the project through the claims, as a deployment would map them
const MAPPINGS = `
rules:
  - claim: email
    equals: ada@example.edu
    grant: { role: RESEARCHER, project: climate-model }
`;

/**
 * The portal's sign-in through a real identity provider (panva's oidc-provider, on 127.0.0.1 too),
 * in Debian's Chromium: a researcher opens a deep link, presses the provider's button, signs in and
 * consents at the provider's own pages, comes back signed in where she was going, asks for a VM and
 * watches it start; then signs out.
 */
describe('the web portal with an identity provider', () => {
  let t: TestBroker;
  let bare: TestBroker;
  let provider: { issuer: string; close(): Promise<void> };
  let browser: Browser;
  let projectId: string;
  const dir = mkdtempSync(join(tmpdir(), 'skypool-portal-oidc-'));

  beforeAll(async () => {
    writeFileSync(join(dir, 'mappings.yaml'), MAPPINGS);
    // the provider must know the broker's callback before either starts
    const port = await freePort();
    const callbackUrl = `http://127.0.0.1:${port}/auth/callback`;
    provider = await startRealProvider({
      client: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [callbackUrl], token_endpoint_auth_method: 'client_secret_post' },
      accounts: { ada: { email: 'ada@example.edu', name: 'Ada Lovelace' } },
    });
    t = await startTestBroker({
      env: {
        PORT: String(port),
        SKYPOOL_CLAIM_MAPPINGS: join(dir, 'mappings.yaml'),
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
        OIDC_CLIENT_SECRET: CLIENT_SECRET,
        OIDC_REDIRECT_URL: callbackUrl,
        OIDC_LABEL: 'University of Michigan',
      },
    });
    bare = await startTestBroker(); // no identity provider at all
    // the project must exist before the login whose claims name it
    projectId = await projectWithAllocation(t.admin, { name: 'climate-model', institution: 'University of Michigan' }, { vcpus: 32, memoryMiB: 65536 });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await bare?.stop();
    await provider?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs a researcher in at the provider from a deep link, lets her start a VM, and signs her out', async () => {
    expect(await (await fetch(`${t.url}/auth/providers`)).json()).toEqual([{ name: 'default', label: 'University of Michigan' }]);

    const context = await browser.newContext();
    const page = await context.newPage();
    const { problems } = watchPage(page, t.url);

    // a deep link, signed out: the sign-in page, with the provider's button
    await page.goto(`${t.url}/requests/new`);
    const button = page.getByRole('link', { name: 'Sign in with University of Michigan' });
    await button.waitFor();
    expect(await button.getAttribute('href')).toBe(`/auth/login?provider=default&returnTo=${encodeURIComponent('/requests/new')}`);
    expect(await page.getByRole('heading', { name: 'With your institution' }).isVisible()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);

    // the provider's own pages: its login form, then its consent
    await button.click();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(new URL(page.url()).origin).toBe(provider.issuer);
    await page.getByLabel('User name').fill('nobody');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Unknown user name or password.' }).waitFor();
    await page.getByLabel('User name').fill('ada');
    await page.getByLabel('Password').fill('any password will do');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: `Authorize ${CLIENT_ID}` }).waitFor();
    expect(await page.getByRole('listitem').allTextContents()).toEqual(['openid', 'email', 'profile']);
    await page.getByRole('button', { name: 'Allow' }).click();

    // back at the portal, signed in, at the page asked for
    await page.getByRole('heading', { name: 'New request' }).waitFor();
    expect(page.url()).toBe(`${t.url}/requests/new`);
    expect(await page.locator('.top-bar .who').textContent()).toBe('ada@example.edu');
    const session = (await context.cookies(t.url)).find((c) => c.name === 'skypool_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.getByLabel('Project').inputValue()).toBe(projectId);
    expect(await page.getByLabel('Project').locator('option:checked').textContent()).toBe('climate-model (University of Michigan)');

    // a small request, which starts while she watches
    await page.getByLabel('Image').selectOption('ubuntu-22.04');
    await page.getByLabel('vCPUs').fill('1');
    await page.getByLabel('Memory').fill('1 GiB');
    await page.getByLabel('Instances').fill('1');
    await page.getByLabel('Lease (hours)').fill('1');
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    const requestId = page.url().split('/').at(-1)!;
    await page.locator('.page-heading .state').getByText('RUNNING', { exact: true }).waitFor({ timeout: 30_000 });
    const { resourceRequest } = await t.admin.data(`query($r: ID!) { resourceRequest(id: $r) { project { id } image vcpus memoryMiB count leaseHours } }`, { r: requestId });
    expect(resourceRequest).toEqual({ project: { id: projectId }, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 1024, count: 1, leaseHours: 1 });

    // signing out ends the session at the broker; a reload stays signed out
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    await button.waitFor();
    expect((await context.cookies(t.url)).some((c) => c.name === 'skypool_session')).toBe(false);
    const ended = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `skypool_session=${session!.value}` },
      body: JSON.stringify({ query: '{ me { name } }' }),
    });
    expect(((await ended.json()) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await page.reload();
    await page.getByLabel('Token').waitFor();
    await button.waitFor();
    expect(await page.locator('.top-bar').count()).toBe(0);

    // nothing went wrong on the way, and nothing but the broker and the provider (allowed by its origin) was asked for anything
    const atProvider = problems.filter((p) => p.startsWith(`left the broker: ${provider.issuer}/`));
    expect(problems.filter((p) => !atProvider.includes(p))).toEqual([]);
    expect(atProvider.some((p) => p.includes('/interaction/'))).toBe(true);
    await context.close();
  }, 90_000);

  it('shows no provider button on a broker without identity providers', async () => {
    const providers = await fetch(`${bare.url}/auth/providers`);
    expect(providers.status).toBe(200);
    expect(await providers.json()).toEqual([]);

    const context = await browser.newContext();
    const page = await context.newPage();
    const { problems } = watchPage(page, bare.url);
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/providers');
    await page.goto(`${bare.url}/requests/new`);
    expect(await (await answered).json()).toEqual([]);
    await page.getByLabel('Token').waitFor();
    expect(await page.getByRole('link', { name: /^Sign in with/ }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'With your institution' }).count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
