import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); tests never download a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium, kept off the network: it would otherwise try Google's hosts at every start. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * What a page does wrong while a test drives it: console errors (Chromium logs a failed response
 * there too), uncaught exceptions, and any request that leaves the broker (the portal must need
 * nothing from the internet).
 */
export function watchPage(page: Page, origin: string): { problems: string[] } {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith(origin.replace('http', 'ws')) && !request.url().startsWith('data:')) problems.push(`left the broker: ${request.url()}`);
  });
  return { problems };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The page's serious and critical accessibility violations by axe-core, as "rule: target" lines.
 * axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
 * govern (an injected <script> would be refused, as it should be).
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

/** A signed-in page of the portal: a new browser context (its own cookies), signed in with a token through the sign-in form. */
export interface PortalSession {
  context: BrowserContext;
  page: Page;
  /** what watchPage saw go wrong */
  problems: string[];
}

export async function signInToPortal(browser: Browser, url: string, token: string, options: { width?: number; permissions?: string[] } = {}): Promise<PortalSession> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 }, permissions: options.permissions });
  const page = await context.newPage();
  const { problems } = watchPage(page, url);
  await page.goto(`${url}/`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Requests' }).waitFor();
  return { context, page, problems };
}

/**
 * A picture of the page for the README (docs/portal/<name>.png) when UPDATE_SCREENSHOTS=1; else
 * into a temporary folder, so that taking it is still tested without changing the repository.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const folder = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/portal' : join(tmpdir(), 'skypool-screenshots');
  mkdirSync(folder, { recursive: true });
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
}
