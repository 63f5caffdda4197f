import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { apiSignIn, checkAccessibility, DEMO_PASSWORD, DEMO_USERS, expectNoPageErrors, newPage, openBrowser, screenshots, signIn } from './harness.ts';

/** The harness itself: the platform answers, the UI sign-in works, axe and screenshots run. */
const { us, sa } = inject('urls');
let browser: Browser;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(() => browser?.close());

test('both jurisdictions serve the SPA and their API', async () => {
  for (const url of [us, sa]) {
    const page = await newPage(browser, { url });
    await expect.poll(() => page.locator('header a.brand').count()).toBe(1);
    expectNoPageErrors(page);
    await page.close();
  }
  expect(await apiSignIn(us, DEMO_USERS.us.learner, DEMO_PASSWORD)).toMatch(/^ey/);
});

test('the demo learner signs in through the form, and the sign-in page is accessible', async () => {
  const page = await newPage(browser, { url: `${us}/signin` });
  await page.locator('form button[type="submit"]').waitFor();
  await checkAccessibility(page, 'sign-in');
  const [desktop, phone] = await screenshots(page, 'smoke-signin');
  expect(existsSync(desktop!) && existsSync(phone!)).toBe(true);

  await signIn(page, us, DEMO_USERS.us.learner, DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/');
  expectNoPageErrors(page);
  await page.close();
});

test('a wrong password shows the API error in the form', async () => {
  const page = await newPage(browser);
  await expect(signIn(page, us, DEMO_USERS.us.learner, 'not-the-password')).rejects.toThrow(/sign-in as learner@us\.demo\.test failed/);
  expect(page.url()).toContain('/signin');
  expectNoPageErrors(page, [/POST \/api\/auth\/login answered 401/]);
  await page.close();
});

test('an account kept in another jurisdiction is sent to its own site, found through the directory', async () => {
  const page = await newPage(browser, { url: `${us}/signin` });
  await page.locator('input[name="email"]').fill(DEMO_USERS.sa.learner);
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await page.locator('form button[type="submit"]').click();
  // The us site asked the global directory, and moved the page to sa with the e-mail kept.
  await page.waitForURL((address) => address.origin === new URL(sa).origin && address.pathname === '/signin');
  await page.getByRole('status').filter({ hasText: 'kept in this region' }).waitFor();
  expect(await page.locator('input[name="email"]').inputValue()).toBe(DEMO_USERS.sa.learner);
  await signIn(page, sa, DEMO_USERS.sa.learner, DEMO_PASSWORD);
  // The sa demo learner's profile says Arabic: the page follows it.
  await page.getByRole('button', { name: 'تسجيل الخروج' }).waitFor();
  expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
  expectNoPageErrors(page);
  await page.close();
});

test("signing up for another jurisdiction continues on that jurisdiction's site", async () => {
  const email = `moved-${Date.now()}@example.test`;
  const page = await newPage(browser, { url: `${us}/signup` });
  await page.locator('input[name="displayName"]').fill('Moved Learner');
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill('a-long-password');
  await page.locator('select[name="jurisdiction"]').selectOption('sa');
  await page.locator('form button[type="submit"]').click();
  // us refuses with 421 wrong_jurisdiction and names sa's site: the form moves there, filled in but the password.
  await page.waitForURL((address) => address.origin === new URL(sa).origin && address.pathname === '/signup');
  expect(await page.locator('input[name="email"]').inputValue()).toBe(email);
  expect(await page.locator('select[name="jurisdiction"]').inputValue()).toBe('sa');
  await page.locator('input[name="password"]').fill('a-long-password');
  await page.locator('form button[type="submit"]').click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  // The account lives in sa only: us's directory lookup now points there.
  const located = await fetch(`${us}/api/auth/locate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
  expect(await located.json()).toMatchObject({ jurisdiction: 'sa' });
  expectNoPageErrors(page, [/POST \/api\/auth\/register answered 421/]);
  await page.close();
});
