import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type * as Axe from 'axe-core';
import type { AxeResults, Result } from 'axe-core';
import './provided.ts';

/**
 * What the browser tests share: Debian's Chromium through playwright-core, pages that collect
 * their own errors, sign-in through the UI or the API, axe-core and screenshots. The platform
 * (both jurisdictions, demo data, transcoded demo videos) is started by global-setup.ts; tests get
 * its addresses with `inject('urls')`.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOT_DIR = `${root}test-results/screenshots`;

/** The accounts scripts/seed.ts gives each jurisdiction, e.g. `DEMO_USERS.us.learner` is `learner@us.demo.test`. */
export const DEMO_PASSWORD = 'demo-password';
export type Role = 'admin' | 'instructor' | 'learner';
export const DEMO_USERS = { us: demoEmails('us'), sa: demoEmails('sa') };

export type Viewport = 'desktop' | 'phone';
export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const satisfies Record<Viewport, { width: number; height: number }>;

export function openBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface PageOptions {
  /** Opened before the page is returned; a blank page when absent. */
  url?: string;
  /** The browser's language (`navigator.language`), which the SPA starts in when nobody chose one. */
  language?: 'en' | 'ar';
  viewport?: Viewport;
}

const problems = new WeakMap<Page, string[]>();

/**
 * A page in a context of its own (own cookies and storage, so two users never share a session),
 * closed with the page. Console errors, uncaught exceptions, failed requests and HTTP answers
 * >= 400 are collected: read them with pageErrors, assert none with expectNoPageErrors.
 */
export async function newPage(browser: Browser, { url, language = 'en', viewport = 'desktop' }: PageOptions = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: VIEWPORTS[viewport],
    // A phone honours the page's meta viewport and touch, as a real one does.
    isMobile: viewport === 'phone',
    hasTouch: viewport === 'phone',
    locale: language === 'ar' ? 'ar' : 'en-US',
  });
  const page = await context.newPage();
  // Rejects when the whole browser is closing, which closes the context anyway.
  page.once('close', () => void context.close().catch(() => {}));
  const found: string[] = [];
  problems.set(page, found);
  page.on('pageerror', (error) => found.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    // A failed load is reported below with its method, address and status.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) found.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    const request = response.request();
    const { pathname } = new URL(response.url());
    // Signed out, the SPA's start-up refresh is expected to be refused.
    if (response.status() === 401 && pathname === '/api/auth/refresh') return;
    if (response.status() >= 400) found.push(`${request.method()} ${pathname} answered ${response.status()}`);
  });
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'failed';
    // Cancelled on purpose: navigation away, a superseded query, a player dropping a segment.
    if (failure !== 'net::ERR_ABORTED') found.push(`${request.method()} ${request.url()} failed: ${failure}`);
  });
  if (url) await page.goto(url);
  return page;
}

/** What went wrong on the page so far (see newPage), in order. */
export function pageErrors(page: Page): readonly string[] {
  return problems.get(page) ?? [];
}

/** Throws listing the page's errors, except those matching `allow` (e.g. a refusal the test provoked). */
export function expectNoPageErrors(page: Page, allow: readonly RegExp[] = []): void {
  const unexpected = pageErrors(page).filter((problem) => !allow.some((pattern) => pattern.test(problem)));
  if (unexpected.length) throw new Error(`${page.url()} had ${unexpected.length} unexpected error(s):\n  ${unexpected.join('\n  ')}`);
}

/**
 * Signs in through the real form at `${baseUrl}/signin` and waits until the SPA has left it
 * (for `/` or the `next` path); an error the form shows fails at once with its text.
 */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('form button[type="submit"]').click();
  const left = page.waitForURL((address) => address.pathname !== '/signin').then(() => undefined);
  const refused = page
    .locator('form [role="alert"]')
    .waitFor()
    .then(async () => {
      throw new Error(`sign-in as ${email} failed: ${await page.locator('form [role="alert"]').innerText()}`);
    });
  await Promise.race([left, refused]);
  // The losing wait must not fail the test later.
  refused.catch(() => {});
}

/** The access token of a sign-in through the API, for setup a test is not about. */
export async function apiSignIn(baseUrl: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await response.json()) as { accessToken?: string; error?: { message: string } };
  if (!response.ok || !body.accessToken) throw new Error(`sign-in of ${email} at ${baseUrl} answered ${response.status}: ${body.error?.message ?? JSON.stringify(body)}`);
  return body.accessToken;
}

const AXE_PATH = `${root}node_modules/axe-core/axe.min.js`;
let axeSource: Promise<string> | undefined;
declare global {
  interface Window {
    axe?: typeof Axe;
  }
}

/**
 * Runs axe-core on the page as it is now and throws when it finds any serious or critical
 * violation, naming the rules and the elements; returns every violation (minor ones too).
 */
export async function checkAccessibility(page: Page, name: string): Promise<Result[]> {
  // Evaluated rather than added as a <script>: the SPA's Content-Security-Policy forbids inline scripts.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(await (axeSource ??= readFile(AXE_PATH, 'utf8')));
  const results: AxeResults = await page.evaluate(() => window.axe!.run(document));
  const blocking = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  if (blocking.length) {
    const lines = blocking.flatMap((violation) => [
      `${violation.id} (${violation.impact}): ${violation.help} — ${violation.helpUrl}`,
      ...violation.nodes.map((node) => `    ${node.target.join(' ')}: ${node.failureSummary?.replaceAll('\n', ' ') ?? ''}`),
    ]);
    throw new Error(`axe found ${blocking.length} serious or critical violation(s) on ${name} (${page.url()}):\n  ${lines.join('\n  ')}`);
  }
  return results.violations;
}

/**
 * Full-page screenshots at both widths into test-results/screenshots/<name>-desktop.png and
 * <name>-phone.png; the page gets its own size back afterwards. Returns the two paths.
 */
export async function screenshots(page: Page, name: string): Promise<string[]> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize();
  const paths: string[] = [];
  for (const viewport of ['desktop', 'phone'] as const) {
    await page.setViewportSize(VIEWPORTS[viewport]);
    // From the top: a full-page shot of a scrolled page paints the sticky header where the scroll left it.
    await page.evaluate(() => scrollTo(0, 0));
    await settled(page);
    const path = `${SCREENSHOT_DIR}/${name}-${viewport}.png`;
    await page.screenshot({ path, fullPage: true });
    paths.push(path);
  }
  if (original) await page.setViewportSize(original);
  return paths;
}

/** After a resize: two frames for layout and paint, fonts and images that were still loading. */
async function settled(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await document.fonts.ready;
    const images = [...document.images].filter((image) => !image.complete);
    const loaded = images.map((image) => new Promise((resolve) => ['load', 'error'].forEach((type) => image.addEventListener(type, resolve, { once: true }))));
    // A lazy image far down may never be asked for: do not wait for it for ever.
    await Promise.race([Promise.all(loaded), new Promise((resolve) => setTimeout(resolve, 3_000))]);
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
}

function demoEmails(jurisdiction: 'us' | 'sa'): Record<Role, string> {
  return { admin: `admin@${jurisdiction}.demo.test`, instructor: `instructor@${jurisdiction}.demo.test`, learner: `learner@${jurisdiction}.demo.test` };
}
