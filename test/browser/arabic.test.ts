import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { checkAccessibility, expectNoPageErrors, newPage, openBrowser, screenshots } from './harness.ts';

/** Arabic, chosen in the header: the document turns right-to-left and the catalog's layout mirrors. */
const { us } = inject('urls');
let browser: Browser;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(() => browser?.close());

test('switching to Arabic renders the catalog right to left', async () => {
  const page = await newPage(browser, { url: us });
  const cards = page.locator('.course-card:not(.skeleton)');
  await cards.first().waitFor();
  const ltrFirst = (await cards.nth(0).boundingBox())!;

  await page.locator('header').getByLabel('Language').selectOption('ar');
  await page.getByRole('heading', { level: 1, name: 'الدورات' }).waitFor();
  expect(await page.evaluate(() => [document.documentElement.dir, document.documentElement.lang])).toEqual(['rtl', 'ar']);

  // Mirrored: the first card now starts at the inline start on the right, and the second sits to its left.
  const width = page.viewportSize()!.width;
  const first = (await cards.nth(0).boundingBox())!;
  const second = (await cards.nth(1).boundingBox())!;
  expect(ltrFirst.x).toBeLessThan(width / 2);
  expect(first.x + first.width).toBeGreaterThan(width / 2);
  expect(Math.abs(first.x + first.width - (width - ltrFirst.x))).toBeLessThan(20);
  expect(second.x).toBeLessThan(first.x);
  const heading = (await page.getByRole('heading', { level: 1 }).boundingBox())!;
  expect(Math.abs(heading.x + heading.width - (first.x + first.width))).toBeLessThan(2);
  expect(await page.getByLabel('ابحث في الدورات').evaluate((input) => getComputedStyle(input).direction)).toBe('rtl');

  await checkAccessibility(page, 'catalog-ar');
  await screenshots(page, 'catalog-ar');
  expectNoPageErrors(page);
  await page.close();
});

test('a refusal reads in Arabic: the catalog code, not the server’s English', async () => {
  const page = await newPage(browser, { url: `${us}/signin` });
  await page.locator('header').getByLabel('Language').selectOption('ar');
  await page.getByLabel('البريد الإلكتروني').fill('learner@us.demo.test');
  await page.getByLabel('كلمة المرور').fill('not the password');
  await page.getByRole('button', { name: 'دخول' }).click();
  const alert = page.getByRole('alert');
  await expect.poll(() => alert.textContent()).toContain('البريد الإلكتروني أو كلمة المرور غير صحيحة.');
  expect(await alert.textContent()).not.toContain('incorrect');
  await screenshots(page, 'signin-refused-ar');
  await page.close();
});
