import type { Browser, Response } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { apiSignIn, checkAccessibility, DEMO_PASSWORD, DEMO_USERS, newPage, openBrowser, screenshots, signIn } from './harness.ts';

/**
 * The player's quality events in Chromium: one segment (the first request past the first two of its
 * rendition) is held back, so playback runs out of buffer and stalls until it comes; the player reports how long it
 * took to start, the rendition it switched to and the stall with its duration, through the ordinary
 * analytics batches.
 */
const { us } = inject('urls');
const COURSE = 'edge-computing-101-us';
const HELD_MS = 10_000;

interface SentEvent {
  type: string;
  rendition?: string;
  props?: Record<string, string | number | boolean>;
}

let browser: Browser;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

test('a segment held back shows up as a playback_stall with its duration, after the startup time and the rendition', { timeout: 90_000 }, async () => {
  const course = (await (await fetch(`${us}/api/courses/${COURSE}`)).json()) as { lessons: Array<{ id: string; position: number }> };
  const lesson = course.lessons.toSorted((a, b) => a.position - b.position)[0]!;
  const page = await newPage(browser);
  await signIn(page, us, DEMO_USERS.us.learner, DEMO_PASSWORD);

  // The events the API accepted, as the tracker's batches carried them.
  const sent: SentEvent[] = [];
  page.on('response', (response: Response) => {
    const request = response.request();
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/analytics/events' && response.status() === 202) {
      sent.push(...(request.postDataJSON() as { events: SentEvent[] }).events);
    }
  });
  // The first third segment of a rendition waits: by then its first two (8 s) have played out.
  // One only: holding every later one too would stall again and again.
  const segmentsSeen = new Map<string, number>();
  let held = false;
  await page.route(/\/segment_\d+\.m4s/, async (route) => {
    const folder = new URL(route.request().url()).pathname.replace(/\/[^/]+$/, '');
    const seen = (segmentsSeen.get(folder) ?? 0) + 1;
    segmentsSeen.set(folder, seen);
    if (seen > 2 && !held) {
      held = true;
      await new Promise((resolve) => setTimeout(resolve, HELD_MS));
    }
    await route.continue().catch(() => undefined);
  });

  await page.goto(`${us}/courses/${COURSE}/lessons/${lesson.id}?t=0`);
  const stall = await expect
    .poll(() => sent.find((event) => event.type === 'playback_stall'), { timeout: 60_000, interval: 500 })
    .toBeDefined()
    .then(() => sent.find((event) => event.type === 'playback_stall')!);

  // The wait is the held segment's 10 s less the 8 s of buffer and what the start took: a few seconds.
  const stallMs = Number(stall.props?.stall_ms);
  expect(stallMs).toBeGreaterThan(500);
  expect(stallMs).toBeLessThan(HELD_MS + 2_000);
  expect(stall.rendition).toMatch(/^\d+p$/);

  const start = sent.find((event) => event.type === 'playback_start');
  expect(Number(start?.props?.startup_ms)).toBeGreaterThan(0);
  expect(Number(start?.props?.startup_ms)).toBeLessThan(HELD_MS);
  const switched = sent.find((event) => event.type === 'rendition_switch');
  expect(switched?.props).toMatchObject({ bitrate: expect.any(Number), height: expect.any(Number) });
  expect(switched?.rendition).toBe(`${String(switched?.props?.height)}p`);
  await page.close();
});

test('the quality dashboard draws the stall an admin can then read, in English and in Arabic', { timeout: 90_000 }, async () => {
  const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
  const admin = await apiSignIn(us, DEMO_USERS.us.admin, DEMO_PASSWORD);
  // Until the stall is stored. Reports are cached 60 s by range: each try asks from a day earlier (a
  // range not cached yet), and the page's own range (the last 30 days) is read once the stall is in.
  let tries = 0;
  await expect
    .poll(
      async () => {
        const answer = await fetch(`${us}/api/analytics/quality?from=${day(tries++)}&to=${day(0)}`, { headers: { authorization: `Bearer ${admin}` } });
        return ((await answer.json()) as { quality?: { total: { stalls: number } } }).quality?.total.stalls ?? 0;
      },
      { timeout: 20_000, interval: 1_000 },
    )
    .toBeGreaterThan(0);

  const page = await newPage(browser);
  await signIn(page, us, DEMO_USERS.us.admin, DEMO_PASSWORD);
  await page.goto(`${us}/analytics/quality`);
  await page.locator('[data-kpi="startupP50"] dd').waitFor();
  expect(await page.locator('[data-kpi="startupP50"] dd').textContent()).not.toBe('—');
  // The stalled viewing is in the table of stalls and learning.
  expect(await page.locator('[data-table="stalls-and-learning"] tbody tr:first-child td:first-of-type').textContent()).not.toBe('0');
  await page.locator('figure[data-chart="startup"] canvas').waitFor();
  await checkAccessibility(page, 'analytics-quality');
  await screenshots(page, 'analytics-quality');

  // Arabic saves the admin's preference: English is put back for the other tests.
  await page.locator('header').getByLabel('Language').selectOption('ar');
  await page.getByRole('heading', { level: 1, name: 'جودة التشغيل' }).waitFor();
  await page.locator('figure[data-chart="startup"] canvas').waitFor();
  await checkAccessibility(page, 'analytics-quality-ar');
  await screenshots(page, 'analytics-quality-ar');
  await page.locator('header').getByLabel('اللغة').selectOption('en');
  await page.getByRole('heading', { level: 1, name: 'Playback quality' }).waitFor();
  await page.close();
});
