import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { readZatcaQr } from '../../contracts/payments.ts';
import { generateClip } from '../../scripts/clips.ts';
import { apiSignIn, checkAccessibility, DEMO_PASSWORD, DEMO_USERS, expectNoPageErrors, newPage, openBrowser, screenshots, signIn } from './harness.ts';

/**
 * Buying a course in both jurisdictions, in Chromium against the real platform and the local payment
 * sandbox: us through Stripe-like Checkout in English (priced through the editor's form; a declined
 * card first, then a good one), sa through Moyasar-like checkout in Arabic with VAT (priced through
 * the API). The sandbox sends the webhook itself and redirects back; the page polls the order until
 * paid, the lesson plays, the purchase and its receipt are listed, and in sa the receipt is a
 * simplified tax invoice whose QR code decodes to the seller, its VAT number, the total and the VAT.
 */
const urls = inject('urls');
type J = 'us' | 'sa';
let browser: Browser;
const courses: Partial<Record<J, Promise<PaidCourse>>> = {};
beforeAll(async () => {
  browser = await openBrowser();
  // Both courses (and their short videos' transcodes) are made while the first test runs.
  courses.us = makeCourse('us');
  courses.sa = makeCourse('sa');
  // Neither may reject unobserved before a test awaits it.
  for (const course of Object.values(courses)) course.catch(() => {});
});
afterAll(() => browser?.close());

interface PaidCourse {
  id: string;
  slug: string;
  title: string;
  paidLessonId: string;
  instructorToken: string;
}

async function api<T>(base: string, path: string, token: string | undefined, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const body = (await response.json().catch(() => ({}))) as T;
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} at ${base} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/**
 * A published course of the jurisdiction's demo instructor: a free preview lesson without video and
 * a paid lesson with a short transcoded video (ready before it is returned). Not priced yet.
 */
async function makeCourse(j: J): Promise<PaidCourse> {
  const base = urls[j];
  const instructorToken = await apiSignIn(base, DEMO_USERS[j].instructor, DEMO_PASSWORD);
  const title = j === 'sa' ? `دورة مدفوعة ${Date.now()}` : `Paid course ${Date.now()}`;
  const course = await api<{ id: string; slug: string }>(base, '/api/courses', instructorToken, {
    json: { title, summary: j === 'sa' ? 'دورة للبيع' : 'A course for sale', language: j === 'sa' ? 'ar' : 'en' },
  });
  await api(base, `/api/courses/${course.id}/lessons`, instructorToken, { json: { title: j === 'sa' ? 'معاينة' : 'Free preview', isPreview: true } });
  const lesson = await api<{ id: string }>(base, `/api/courses/${course.id}/lessons`, instructorToken, { json: { title: j === 'sa' ? 'الدرس المدفوع' : 'The paid lesson' } });

  const dir = await mkdtemp(join(tmpdir(), 'kce-paid-'));
  const clip = await (async () => {
    await generateClip(join(dir, 'paid.mp4'), { seconds: 4, size: '426x240' });
    return readFile(join(dir, 'paid.mp4'));
  })().finally(() => rm(dir, { recursive: true, force: true }));
  const upload = await api<{ videoId: string; upload: { url: string; headers: Record<string, string> } }>(base, '/api/videos/upload', instructorToken, {
    json: { courseId: course.id, lessonId: lesson.id, filename: 'paid.mp4', sizeBytes: clip.byteLength, contentType: 'video/mp4' },
  });
  const put = await fetch(upload.upload.url, { method: 'PUT', headers: upload.upload.headers, body: clip });
  if (put.status !== 200) throw new Error(`the upload answered ${put.status}`);
  await api(base, `/api/videos/${upload.videoId}/complete`, instructorToken, { json: {} });
  await api(base, `/api/courses/${course.id}/publish`, instructorToken, { method: 'POST' });
  for (const started = Date.now(); ; ) {
    const { status } = await api<{ status: string }>(base, `/api/videos/${upload.videoId}`, instructorToken);
    if (status === 'ready') break;
    if (status === 'failed' || Date.now() - started > 100_000) throw new Error(`the ${j} course's video is ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return { id: course.id, slug: course.slug, title, paidLessonId: lesson.id, instructorToken };
}

/** A new learner of the jurisdiction, registered through the API, then signed in through the form. */
async function newLearner(j: J, language: 'en' | 'ar'): Promise<{ page: Page; email: string }> {
  const email = `buyer-${j}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await api(urls[j], '/api/auth/register', undefined, { json: { email, password: 'buyer-password-1', displayName: j === 'sa' ? 'مشترٍ تجريبي' : 'Test Buyer', preferredLanguage: language, jurisdiction: j } });
  const page = await newPage(browser, { language });
  await signIn(page, urls[j], email, 'buyer-password-1');
  return { page, email };
}

/** The order a click on Buy made, from the checkout's answer (read on its way: the page leaves at once for the hosted page). */
async function clickBuy(page: Page, name: string, status = 201): Promise<{ id: string; checkoutUrl: string }> {
  let answered: (order: { status: number; key: string | undefined; body: { id: string; checkoutUrl: string } }) => void;
  const checkout = new Promise<Parameters<typeof answered>[0]>((resolve) => (answered = resolve));
  await page.route('**/api/courses/*/checkout', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { id: string; checkoutUrl: string };
    answered({ status: response.status(), key: route.request().headers()['idempotency-key'], body });
    await route.fulfill({ response, json: body });
  });
  await page.getByRole('button', { name }).click();
  const order = await checkout;
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  expect(order.status).toBe(status);
  expect(order.key).toMatch(/^[\w.:-]{8,128}$/);
  return order.body;
}

const SANDBOX_PAGES = /\/pay\//;

/** Pays on the sandbox's hosted page (Stripe-like or Moyasar-like) with a test card. */
async function payOnSandbox(page: Page, provider: 'stripe' | 'moyasar', card: string): Promise<void> {
  await page.waitForURL((address) => address.pathname.startsWith(`/pay/${provider}/`));
  await page.locator(provider === 'stripe' ? '#card' : '#number').fill(card);
  await page.locator('#pay').click();
}

test('us: the editor prices a course; a declined card buys nothing, a good one does; the lesson plays; purchases, receipt, and the admin refunds it', { timeout: 300_000 }, async () => {
  const course = await courses.us!;
  const base = urls.us;

  // The instructor prices it through the editor: a third decimal is refused before anything is sent.
  const editor = await newPage(browser);
  await signIn(editor, base, DEMO_USERS.us.instructor, DEMO_PASSWORD);
  await editor.goto(`${base}/teach/courses/${course.id}`);
  const pricing = editor.locator('section.teach-pricing');
  await pricing.getByRole('radio', { name: 'Paid' }).check();
  await pricing.getByLabel('United States price (USD)').fill('19.999');
  await pricing.getByLabel('Saudi Arabia price (SAR)').fill('75');
  await pricing.getByRole('button', { name: 'Save pricing' }).click();
  await pricing.getByText('Too many decimals: USD has two at most.').waitFor();
  await pricing.getByLabel('United States price (USD)').fill('19.99');
  await pricing.getByRole('button', { name: 'Save pricing' }).click();
  await pricing.getByRole('status').getByText('Saved').waitFor();
  const priced = await api<{ isPaid: boolean; prices: Array<{ jurisdiction: string; amountMinor: number }> }>(base, `/api/courses/${course.id}`, undefined);
  expect(priced.isPaid).toBe(true);
  expect(priced.prices.toSorted((a, b) => a.jurisdiction.localeCompare(b.jurisdiction))).toEqual([
    expect.objectContaining({ jurisdiction: 'sa', amountMinor: 7500 }),
    expect.objectContaining({ jurisdiction: 'us', amountMinor: 1999 }),
  ]);
  await checkAccessibility(editor, 'pricing-form');
  await screenshots(editor, 'payments-pricing-form');
  expectNoPageErrors(editor);
  await editor.close();

  // A visitor sees the price and is asked to sign in to buy.
  const visitor = await newPage(browser, { url: `${base}/courses/${course.slug}` });
  await visitor.locator('.course-price').getByText('$19.99').waitFor();
  await visitor.getByRole('button', { name: 'Sign in to buy' }).waitFor();
  expectNoPageErrors(visitor);
  await visitor.close();

  const { page } = await newLearner('us', 'en');
  await page.goto(`${base}/courses/${course.slug}`);
  await page.locator('.course-price').getByText('$19.99').waitFor();
  expect(await page.locator('.lesson-row[data-locked]').count()).toBe(1);
  await checkAccessibility(page, 'course-paid-us');
  await screenshots(page, 'payments-course-us');

  // Declined: Stripe's page says so and keeps the learner there; canceling comes back with nothing bought.
  const order = await clickBuy(page, 'Buy course');
  await payOnSandbox(page, 'stripe', '4000 0000 0000 0002');
  await page.getByRole('alert').getByText('Your card was declined.').waitFor();
  await page.getByRole('link', { name: 'Cancel' }).click();
  await page.waitForURL((address) => address.origin === base && address.searchParams.get('checkout') === 'canceled');
  await page.locator('[data-checkout="canceled"]').getByText('Checkout canceled, nothing was charged').waitFor();
  expect(await page.locator('.lesson-row[data-locked]').count()).toBe(1);

  // Again: the open order is the one answered (200), its hosted page takes the good card, the webhook confirms it.
  const again = await clickBuy(page, 'Buy course', 200);
  expect(again.id).toBe(order.id);
  await payOnSandbox(page, 'stripe', '4242 4242 4242 4242');
  await page.waitForURL((address) => address.origin === base && address.pathname === `/courses/${course.slug}` && address.searchParams.get('order') === order.id, { timeout: 30_000 });
  await page.locator('[data-checkout="paid"]').getByText('Payment received — you’re enrolled').waitFor({ timeout: 60_000 });
  await page.getByText('You own this course').waitFor();
  expect(await page.locator('.lesson-row[data-locked]').count()).toBe(0);

  // The paid lesson plays.
  await page.getByRole('link', { name: 'The paid lesson' }).click();
  await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')?.readyState ?? 0) >= HTMLMediaElement.HAVE_METADATA, undefined, { timeout: 30_000 });

  // Purchases: paid, with its receipt.
  await page.getByRole('link', { name: 'Purchases' }).click();
  const row = page.locator(`tr[data-order="${order.id}"]`);
  await row.locator('[data-status="paid"]').getByText('Paid').waitFor();
  await row.getByText('$19.99').waitFor();
  await checkAccessibility(page, 'purchases-us');
  await screenshots(page, 'payments-purchases-us');
  await row.getByRole('link', { name: `Receipt for ${course.title}` }).click();
  const receipt = page.locator('article.receipt');
  await receipt.waitFor();
  expect(await receipt.getAttribute('data-kind')).toBe('receipt');
  await receipt.locator('[data-field="total"]').getByText('$19.99').waitFor();
  expect(await receipt.locator('[data-zatca-qr]').count()).toBe(0);
  await checkAccessibility(page, 'receipt-us');
  await screenshots(page, 'payments-receipt-us');
  // The declined attempt and the sandbox's own pages are not the SPA's errors.
  expectNoPageErrors(page, [SANDBOX_PAGES]);

  // The admin refunds it from the orders page: two clicks, no browser dialog; the learner's access ends.
  const admin = await newPage(browser);
  await signIn(admin, base, DEMO_USERS.us.admin, DEMO_PASSWORD);
  await admin.getByRole('link', { name: 'Orders' }).click();
  await admin.getByRole('heading', { level: 1, name: 'Orders' }).waitFor();
  await admin.getByLabel('Status').selectOption('paid');
  const paidRow = admin.locator(`tr[data-order="${order.id}"]`);
  await paidRow.getByText('$19.99').waitFor();
  await admin.locator('.ledger-table').getByText(course.title).waitFor();
  await checkAccessibility(admin, 'admin-orders');
  await screenshots(admin, 'payments-admin-orders');
  await paidRow.getByRole('button', { name: 'Refund' }).click();
  await paidRow.getByRole('button', { name: 'Confirm refund of $19.99' }).click();
  await admin.getByLabel('Status').selectOption('refunded');
  await admin.locator(`tr[data-order="${order.id}"]`).locator('[data-status="refunded"]').waitFor();
  expectNoPageErrors(admin);
  await admin.close();
  await page.goto(`${base}/courses/${course.slug}`);
  await page.getByRole('button', { name: 'Buy course' }).waitFor();
  expect(await page.locator('.lesson-row[data-locked]').count()).toBe(1);
  await page.close();
});

test('sa: in Arabic, the price with VAT, Moyasar checkout, and a simplified tax invoice whose QR decodes', { timeout: 300_000 }, async () => {
  const course = await courses.sa!;
  const base = urls.sa;
  await api(base, `/api/courses/${course.id}/pricing`, course.instructorToken, { method: 'PUT', json: { isPaid: true, prices: { sa: 11_500 } } });

  const { page, email } = await newLearner('sa', 'ar');
  // The catalog's card shows the price too.
  const card = page.locator('.course-card', { hasText: course.title });
  await card.locator('.course-card-price').getByText('115.00').waitFor();
  await screenshots(page, 'payments-catalog-sa');
  await card.getByRole('link', { name: course.title }).click();
  await page.waitForURL((address) => address.pathname === `/courses/${encodeURIComponent(course.slug)}`);
  const price = page.locator('.course-price');
  await price.getByText('115.00').waitFor();
  // "15‎%‎": the percent sign keeps its direction marks in Arabic.
  await price.getByText(/^\s*شاملة ضريبة القيمة المضافة 15\u200e?%/).waitFor();
  expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
  await checkAccessibility(page, 'course-paid-sa');
  await screenshots(page, 'payments-course-sa');

  // Declined by the issuer: Moyasar tells the platform (a failed payment, by webhook); back on the course the
  // order is still pending with the reason and a way to try again, and nothing is owned.
  const order = await clickBuy(page, 'اشترِ الدورة');
  await payOnSandbox(page, 'moyasar', '4201 3212 3441 1220');
  await page.getByRole('alert').getByText('DECLINED').waitFor();
  await page.goto(`${base}/courses/${course.slug}?order=${order.id}&checkout=returned`);
  const failed = page.locator('[data-checkout="failed"]');
  await failed.getByText('لم تتم عملية الدفع.').waitFor({ timeout: 30_000 });
  expect(await page.locator('.lesson-row[data-locked]').count()).toBe(1);
  await failed.getByRole('link', { name: 'أعد المحاولة' }).click();
  await payOnSandbox(page, 'moyasar', '4201 3201 1111 1010');
  await page.waitForURL((address) => address.origin === base && address.searchParams.get('order') === order.id, { timeout: 30_000 });
  await page.locator('[data-checkout="paid"]').getByText('تم استلام الدفع — أنت مسجّل في الدورة').waitFor({ timeout: 60_000 });
  await page.getByText('تملك هذه الدورة').waitFor();
  expect(await page.locator('.lesson-row[data-locked]').count()).toBe(0);
  await page.getByRole('link', { name: 'الدرس المدفوع' }).click();
  await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')?.readyState ?? 0) >= HTMLMediaElement.HAVE_METADATA, undefined, { timeout: 30_000 });

  await page.getByRole('link', { name: 'المشتريات' }).click();
  const row = page.locator(`tr[data-order="${order.id}"]`);
  await row.locator('[data-status="paid"]').getByText('مدفوع').waitFor();
  await checkAccessibility(page, 'purchases-sa');
  await screenshots(page, 'payments-purchases-sa');

  await row.getByRole('link', { name: `إيصال ${course.title}` }).click();
  const invoice = page.locator('article.receipt[data-kind="simplified_tax_invoice"]');
  await invoice.getByText('فاتورة ضريبية مبسطة').waitFor();
  await invoice.getByText('Simplified tax invoice').waitFor();
  await invoice.locator('[data-field="vat-number"]').getByText('300000000000003').waitFor();
  await invoice.locator('[data-field="buyer"]').getByText(email).waitFor();
  for (const [field, amount] of [['total', '115.00'], ['vat', '15.00'], ['net', '100.00']] as const) await invoice.locator(`[data-field="${field}"]`).getByText(amount).waitFor();
  const qr = invoice.locator('img[data-zatca-qr]');
  await qr.waitFor();
  // The image is drawn (a QR code of ~29 modules), and its text decodes to the invoice.
  expect(await qr.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 100)).toBe(true);
  const fields = readZatcaQr((await qr.getAttribute('data-zatca-qr'))!);
  expect(fields).toMatchObject({ sellerName: 'KnowledgeCity Edge Arabia', vatNumber: '300000000000003', total: '115.00', vat: '15.00' });
  expect(Number.isNaN(Date.parse(fields.timestamp ?? ''))).toBe(false);
  await checkAccessibility(page, 'receipt-sa');
  await screenshots(page, 'payments-receipt-sa');
  expectNoPageErrors(page, [SANDBOX_PAGES]);
  await page.close();
});
