import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Dashboard } from '../../workers/analytics/dashboards.ts';
import type { CourseDetail } from '../../workers/api/catalog/schemas.ts';
import { apiSignIn, checkAccessibility, DEMO_PASSWORD, DEMO_USERS, expectNoPageErrors, newPage, openBrowser, screenshots, signIn } from './harness.ts';

/**
 * The analytics dashboard against real events: seeded through the ingest API for two demo courses,
 * read back by an admin in the browser. Every chart must draw, the KPI tiles must show the API's
 * numbers, and the course and date filters must change them.
 */
const { us, sa } = inject('urls');
const DAY_MS = 24 * 60 * 60 * 1000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const today = isoDay(Date.now());
const daysAgo = (days: number) => isoDay(Date.parse(today) - days * DAY_MS);
const CHARTS = ['learners', 'watch-time', 'funnel', 'drop-off', 'devices'];

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** One viewing of a 100 s video at noon of a past UTC day: a play, a heartbeat every 10 s up to `furthest`, maybe the end. */
function viewing(course: CourseDetail, videoId: string, day: string, furthest: number, complete: boolean) {
  const start = Date.parse(`${day}T12:00:00Z`);
  const event = (type: string, second: number) => ({
    event_id: crypto.randomUUID(),
    type,
    ts: new Date(start + second * 1000).toISOString(),
    course_id: course.id,
    lesson_id: course.lessons[0]!.id,
    video_id: videoId,
    position_s: second,
    duration_s: 100,
  });
  const events = [event('video_play', 0)];
  for (let second = 10; second <= furthest; second += 10) events.push(event('video_progress', second));
  if (complete) events.push(event('video_complete', 100));
  return events;
}

async function ingest(base: string, events: unknown[], headers: Record<string, string>): Promise<void> {
  const answer = await json<{ accepted: number; rejected: unknown[] }>(`${base}/api/analytics/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ events }),
  });
  expect(answer).toEqual({ accepted: events.length, rejected: [] });
}

function dashboard(base: string, token: string, filters: { from: string; to: string; courseId?: string }): Promise<Dashboard> {
  const query = new URLSearchParams({ from: filters.from, to: filters.to, ...(filters.courseId ? { courseId: filters.courseId } : {}) });
  return json<Dashboard>(`${base}/api/analytics/dashboard?${query}`, { headers: { authorization: `Bearer ${token}` } });
}

/**
 * Seeds a jurisdiction's two demo courses: A gets 4 plays over the last two days (signed-in and
 * from a phone), B 2 plays three days ago and yesterday (signed-in and from a tablet) and an
 * enrollment. Returns the courses once the dashboard API counts every play: answers are cached
 * 60 s per range, so each poll asks for a range of its own (never the page's default 30 days).
 */
async function seed(base: string, jurisdiction: 'us' | 'sa') {
  const [a, b] = await Promise.all([
    json<CourseDetail>(`${base}/api/courses/edge-computing-101-${jurisdiction}`),
    json<CourseDetail>(`${base}/api/courses/video-streaming-basics-${jurisdiction}`),
  ]);
  const videoA = a.lessons[0]!.videoId ?? crypto.randomUUID();
  const videoB = crypto.randomUUID();
  const users = DEMO_USERS[jurisdiction];
  const [learner, instructor, admin] = await Promise.all([
    apiSignIn(base, users.learner, DEMO_PASSWORD),
    apiSignIn(base, users.instructor, DEMO_PASSWORD),
    apiSignIn(base, users.admin, DEMO_PASSWORD),
  ]);
  await ingest(
    base,
    [
      ...viewing(a, videoA, daysAgo(1), 100, true),
      ...viewing(b, videoB, daysAgo(3), 40, false),
      { event_id: crypto.randomUUID(), type: 'enroll', ts: `${daysAgo(3)}T11:00:00.000Z`, course_id: b.id },
    ],
    { authorization: `Bearer ${learner}` },
  );
  await ingest(base, [...viewing(a, videoA, daysAgo(2), 60, false), ...viewing(a, videoA, daysAgo(1), 30, false)], { authorization: `Bearer ${instructor}` });
  await ingest(base, viewing(a, videoA, daysAgo(2), 80, false), { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148' });
  await ingest(base, viewing(b, videoB, daysAgo(1), 20, false), { 'user-agent': 'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15' });

  const deadline = Date.now() + 60_000;
  for (let attempt = 1; ; attempt += 1) {
    const from = daysAgo(40 + attempt);
    const [inA, inB] = await Promise.all([dashboard(base, admin, { from, to: today, courseId: a.id }), dashboard(base, admin, { from, to: today, courseId: b.id })]);
    if (inA.summary.plays >= 4 && inB.summary.plays >= 2) break;
    if (Date.now() > deadline) throw new Error(`the ${jurisdiction} dashboard still counts ${inA.summary.plays} and ${inB.summary.plays} plays a minute after seeding`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return { a, b, admin };
}

/** The page's own dashboard answer for the filters it shows (the KPI tiles must match it). */
function dashboardAnswer(page: Page, matches: (query: URLSearchParams) => boolean): Promise<Dashboard> {
  return page
    .waitForResponse((response) => {
      const url = new URL(response.url());
      return url.pathname === '/api/analytics/dashboard' && response.ok() && matches(url.searchParams);
    })
    .then((response) => response.json() as Promise<Dashboard>);
}

async function kpis(page: Page): Promise<Record<string, string>> {
  const tiles = await page.locator('[data-kpi]').evaluateAll((elements) => elements.map((element) => [element.getAttribute('data-kpi'), element.querySelector('dd')?.textContent]));
  return Object.fromEntries(tiles);
}

/** What the tiles must say for an answer, formatted independently of the SPA's code. */
function expectedKpis({ summary }: Dashboard): Record<string, unknown> {
  const count = new Intl.NumberFormat('en');
  const minutes = Math.round(summary.watchTimeSeconds / 60);
  return {
    activeLearners: count.format(summary.activeLearners),
    enrollments: count.format(summary.enrollments),
    plays: count.format(summary.plays),
    watchTime: summary.watchTimeSeconds < 60 ? `${Math.round(summary.watchTimeSeconds)} sec` : minutes < 60 ? `${minutes} min` : expect.stringContaining('hr'),
    completionRate: summary.completionRate === null ? '—' : new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 }).format(summary.completionRate),
  };
}

/** Every chart has a uPlot canvas with something drawn on it, and a table of its numbers for screen readers. */
async function expectChartsDrawn(page: Page): Promise<void> {
  for (const chart of CHARTS) {
    const figure = page.locator(`figure[data-chart="${chart}"]`);
    await figure.locator('canvas').waitFor();
    const painted = await figure.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let pixels = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) pixels += 1;
      return { width: canvas.width, height: canvas.height, pixels };
    });
    expect(painted.width, chart).toBeGreaterThan(0);
    expect(painted.pixels, `${chart} draws something`).toBeGreaterThan(500);
    expect(await figure.getAttribute('aria-labelledby'), chart).toBeTruthy();
    expect(await figure.locator('table th[scope="row"]').count(), `${chart} lists its numbers`).toBeGreaterThan(0);
  }
}

let browser: Browser;
let seeded: Awaited<ReturnType<typeof seed>>;
beforeAll(async () => {
  browser = await openBrowser();
  seeded = await seed(us, 'us');
});
afterAll(() => browser?.close());

describe('analytics dashboard', () => {
  test('an admin sees every chart with the seeded events, and the filters change the numbers', async () => {
    const { a, b, admin } = seeded;
    const page = await newPage(browser);
    await signIn(page, us, DEMO_USERS.us.admin, DEMO_PASSWORD);
    const first = dashboardAnswer(page, (query) => !query.has('courseId'));
    await page.goto(`${us}/analytics`);
    const all = await first;
    await expectChartsDrawn(page);
    expect(await kpis(page)).toMatchObject(expectedKpis(all));
    expect(all.summary.plays).toBeGreaterThanOrEqual(6);

    // Devices: the phone and the tablet senders are named in the chart's table.
    const devices = await page.locator('figure[data-chart="devices"] table').textContent();
    expect(devices).toContain('Mobile');
    expect(devices).toContain('Tablet');
    // Tables of top content have real column headers.
    expect(await page.locator('[data-table="top-courses"] th[scope="col"]').count()).toBe(4);
    expect(await page.locator('[data-table="top-videos"] th[scope="col"]').count()).toBe(5);

    await checkAccessibility(page, 'analytics');
    await screenshots(page, 'admin-analytics');

    // At phone width every chart shrinks to its card (ResizeObserver), none sticks out.
    await page.setViewportSize({ width: 375, height: 800 });
    await expect
      .poll(() =>
        page.locator('figure[data-chart]').evaluateAll((figures) =>
          figures.every((figure) => {
            const canvas = figure.querySelector('canvas');
            return !canvas || canvas.getBoundingClientRect().width <= figure.getBoundingClientRect().width;
          }),
        ),
      )
      .toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.setViewportSize({ width: 1280, height: 800 });

    // One course: its own numbers, as the API gives them to anyone asking for that course.
    const courseAnswer = dashboardAnswer(page, (query) => query.get('courseId') === b.id && query.get('from') === daysAgo(29));
    await page.locator('select[name="course"]').selectOption(b.id);
    const inB = await courseAnswer;
    expect(new URL(page.url()).searchParams.get('course')).toBe(b.id);
    await expect.poll(() => kpis(page)).toMatchObject(expectedKpis(inB));
    expect(inB.summary.plays).toBeGreaterThanOrEqual(2);
    expect(inB.summary.plays).toBeLessThan(all.summary.plays);
    expect(inB.summary.enrollments).toBeGreaterThanOrEqual(1);
    const independent = await dashboard(us, admin, { from: daysAgo(29), to: today, courseId: b.id });
    expect(independent.summary.plays).toBe(inB.summary.plays);

    // Yesterday and today only: the viewing of three days ago (and its enrollment) drop out.
    const rangeAnswer = dashboardAnswer(page, (query) => query.get('courseId') === b.id && query.get('from') === daysAgo(1));
    await page.locator('input[name="from"]').fill(daysAgo(1));
    const recent = await rangeAnswer;
    await expect.poll(() => kpis(page)).toMatchObject(expectedKpis(recent));
    expect(recent.summary.plays).toBeGreaterThanOrEqual(1);
    expect(recent.summary.plays).toBeLessThan(inB.summary.plays);
    expect(recent.summary.enrollments).toBeLessThan(inB.summary.enrollments);
    expect(new URL(page.url()).searchParams.get('from')).toBe(daysAgo(1));

    // Course A over the same range: other numbers again, and its drop-off curve (its video was played).
    const other = dashboardAnswer(page, (query) => query.get('courseId') === a.id);
    await page.locator('select[name="course"]').selectOption(a.id);
    const inA = await other;
    await expect.poll(() => kpis(page)).toMatchObject(expectedKpis(inA));
    expect(inA.summary.plays).toBeGreaterThanOrEqual(2);
    await page.locator('figure[data-chart="drop-off"] canvas').waitFor();

    expectNoPageErrors(page);
    await page.close();
  });

  test('a range without events says so instead of drawing empty charts', async () => {
    const page = await newPage(browser, { viewport: 'phone' });
    await signIn(page, us, DEMO_USERS.us.admin, DEMO_PASSWORD);
    await page.goto(`${us}/analytics?from=2020-01-01&to=2020-01-31`);
    await page.locator('.admin-empty').waitFor();
    expect(await page.locator('figure canvas').count()).toBe(0);
    expect(await kpis(page)).toMatchObject({ plays: '0', completionRate: '—' });
    expectNoPageErrors(page);
    await page.close();
  });

  test('an instructor can choose only their own courses; a learner is refused', async () => {
    const instructor = await apiSignIn(us, DEMO_USERS.us.instructor, DEMO_PASSWORD);
    const mine = await json<{ items: Array<{ id: string }> }>(`${us}/api/courses/mine`, { headers: { authorization: `Bearer ${instructor}` } });
    const page = await newPage(browser);
    await signIn(page, us, DEMO_USERS.us.instructor, DEMO_PASSWORD);
    await page.goto(`${us}/analytics`);
    await page.locator('[data-kpi="plays"]').waitFor();
    const options = await page.locator('select[name="course"] option').evaluateAll((elements) => elements.map((option) => (option as HTMLOptionElement).value));
    expect(options.toSorted()).toEqual(['', ...mine.items.map((course) => course.id)].toSorted());
    // Another's course (here one that does not exist) is refused by the API: its message and trace id show.
    await page.goto(`${us}/analytics?course=${crypto.randomUUID()}`);
    const refusal = page.locator('.error-box');
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/your own courses[\s\S]*[0-9a-f]{32}/);
    expectNoPageErrors(page, [/GET \/api\/analytics\/dashboard answered 403/]);
    await page.close();

    const learner = await newPage(browser);
    await signIn(learner, us, DEMO_USERS.us.learner, DEMO_PASSWORD);
    await learner.goto(`${us}/analytics`);
    await learner.getByRole('alert').waitFor();
    expect(await learner.locator('[data-kpi]').count()).toBe(0);
    expectNoPageErrors(learner);
    await learner.close();
  });

  test('in Arabic the dashboard reads right to left', async () => {
    await seed(sa, 'sa');
    // The demo admin of sa prefers Arabic.
    const page = await newPage(browser, { language: 'ar' });
    await signIn(page, sa, DEMO_USERS.sa.admin, DEMO_PASSWORD);
    await page.goto(`${sa}/analytics`);
    await page.locator('[data-kpi="plays"]').waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await expectChartsDrawn(page);
    // The y axis stands on the right: the start side in Arabic.
    const axis = await page.locator('figure[data-chart="funnel"]').evaluate((figure) => {
      const plot = figure.querySelector('.u-over')!.getBoundingClientRect();
      const box = figure.querySelector('.chart-canvas')!.getBoundingClientRect();
      return { plotEnd: plot.right, boxEnd: box.right };
    });
    expect(axis.boxEnd - axis.plotEnd).toBeGreaterThan(30);
    await checkAccessibility(page, 'analytics (Arabic)');
    await screenshots(page, 'admin-analytics-ar');
    expectNoPageErrors(page);
    await page.close();
  });
});
