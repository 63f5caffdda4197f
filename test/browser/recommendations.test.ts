import { Redis } from '@upstash/redis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { recommendations } from '../../workers/analytics/recommendations.ts';
import { openClickHouse } from '../../workers/lib/clickhouse.ts';
import { ClickHouseSettings, readConfig } from '../../workers/lib/config.ts';
import { checkAccessibility, expectNoPageErrors, newPage, openBrowser, screenshots, signIn } from './harness.ts';

/**
 * Both recommendation rows in English and Arabic, over the demo courses of `us`. Three new learners
 * take them so that each pair has the 2 learners in common a neighbour needs:
 *   first: edge, streaming     second: edge, streaming, data (Arabic)     third: edge, data
 * Then edge's neighbours are streaming and data, and the first learner, who took edge and
 * streaming, is offered data "because you took" edge (its nearest).
 */
const { us } = inject('urls');
const PASSWORD = 'learner-password-1';
const TRACEPARENT = `00-${'5'.repeat(32)}-${'6'.repeat(16)}-01`;
const COURSES = { edge: 'edge-computing-101-us', streaming: 'video-streaming-basics-us', data: 'intro-to-data-analysis-ar-us' } as const;
type Course = keyof typeof COURSES;

let browser: Browser;
let first: string;

async function api<T>(path: string, init: { token?: string; json?: unknown } = {}): Promise<T> {
  const response = await fetch(`${us}${path}`, {
    method: init.json === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** A new learner whose enrollments in the courses reached analytics, as the SPA reports them (one demo course is paid: no PostgreSQL enrollment needed). */
async function learnerWho(took: Course[], ids: Record<Course, string>): Promise<{ email: string; userId: string }> {
  const email = `recs-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const { accessToken, user } = await api<{ accessToken: string; user: { id: string } }>('/api/auth/register', {
    json: { email, password: PASSWORD, displayName: 'Recommended Learner', preferredLanguage: 'en', jurisdiction: 'us' },
  });
  await api('/api/analytics/events', {
    token: accessToken,
    json: { events: took.map((course) => ({ event_id: crypto.randomUUID(), type: 'enroll', ts: new Date().toISOString(), course_id: ids[course] })) },
  });
  return { email, userId: user.id };
}

beforeAll(async () => {
  browser = await openBrowser();
  const ids = Object.fromEntries(
    await Promise.all(Object.entries(COURSES).map(async ([name, slug]) => [name, (await api<{ id: string }>(`/api/courses/${slug}`)).id])),
  ) as Record<Course, string>;
  const learners = [await learnerWho(['edge', 'streaming'], ids), await learnerWho(['edge', 'streaming', 'data'], ids), await learnerWho(['edge', 'data'], ids)];
  first = learners[0]!.email;
  const clickhouse = openClickHouse(readConfig(ClickHouseSettings, { ...inject('settings').us }), TRACEPARENT);
  try {
    // The consumer batches for up to 5 s: wait for the three learners' courses, then refresh as the cron would.
    for (const started = Date.now(); ; ) {
      const result = await clickhouse.query({
        query: 'SELECT uniqExact(user_id) AS learners FROM daily_learner_courses WHERE user_id IN {users:Array(UUID)}',
        query_params: { users: learners.map((learner) => learner.userId) },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      });
      if ((await result.json<{ learners: number }>())[0]?.learners === learners.length) break;
      if (Date.now() - started > 30_000) throw new Error('the learners’ events did not reach ClickHouse');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await recommendations(clickhouse, TRACEPARENT).refresh();
    // Answers are cached with the catalog (5 minutes), and earlier test files opened these pages before
    // the refresh: a new catalog generation stands for those minutes passing.
    const { REDIS_REST_URL, REDIS_REST_TOKEN } = inject('settings').us ?? {};
    await new Redis({ url: REDIS_REST_URL ?? '', token: REDIS_REST_TOKEN ?? '' }).incr('catalog:generation');
  } finally {
    await clickhouse.close();
  }
});
afterAll(() => browser?.close());

async function inArabic(page: Page): Promise<void> {
  await page.locator('header').getByLabel('Language').selectOption('ar');
  await expect.poll(() => page.evaluate(() => document.documentElement.dir)).toBe('rtl');
}

test('the course page shows what learners of this course also took, with how many took both', async () => {
  const page = await newPage(browser, { url: `${us}/courses/${COURSES.edge}` });
  const row = page.getByRole('region', { name: 'Learners who took this also took' });
  await row.waitFor();
  expect(await row.locator('.course-card-title').allInnerTexts()).toEqual(expect.arrayContaining(['Video Streaming Basics']));
  // Two of the learners above took both; another test's learner may add one.
  await expect.poll(() => row.locator('.recommendation-reason').first().innerText()).toMatch(/^[2-9] learners took both$/);
  await checkAccessibility(page, 'course-related');
  await screenshots(page, 'course-related');
  await inArabic(page);
  await page.getByRole('region', { name: 'المتعلمون الذين أخذوا هذه الدورة أخذوا أيضًا' }).waitFor();
  await screenshots(page, 'course-related-ar');
  expectNoPageErrors(page);
  await page.close();
});

test('“for you” on the catalog and continue-learning pages, with the reason', async () => {
  const page = await newPage(browser);
  await signIn(page, us, first, PASSWORD);
  await page.goto(us);
  const row = page.getByRole('region', { name: 'For you' });
  await row.waitFor();
  const card = row.locator('.course-card').first();
  expect(await card.locator('.recommendation-reason').innerText()).toBe('Because you took Edge Computing 101');
  expect(await row.locator('.course-card-title').allInnerTexts()).not.toEqual(expect.arrayContaining(['Edge Computing 101', 'Video Streaming Basics']));
  await checkAccessibility(page, 'catalog-for-you');
  await screenshots(page, 'catalog-for-you');

  await page.goto(`${us}/learning`);
  await page.getByRole('region', { name: 'For you' }).waitFor();
  await screenshots(page, 'learning-for-you');
  await inArabic(page);
  const arabic = page.getByRole('region', { name: 'مقترحة لك' });
  await arabic.waitFor();
  expect(await arabic.locator('.recommendation-reason').first().innerText()).toBe('لأنك أخذت Edge Computing 101');
  await screenshots(page, 'learning-for-you-ar');
  expectNoPageErrors(page);
  await page.close();
});
