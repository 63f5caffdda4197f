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
