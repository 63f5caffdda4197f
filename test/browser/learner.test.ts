import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { checkAccessibility, expectNoPageErrors, newPage, openBrowser, pageErrors, screenshots } from './harness.ts';

/**
 * A new learner's whole path in Chromium against the real platform: sign up through the form,
 * search the catalog, enroll, watch the transcoded demo video in real time (hls.js over Media Source
 * Extensions), switch renditions from the quality menu, save the position, reload and resume.
 */
const { us } = inject('urls');
const COURSE = 'edge-computing-101-us';
let browser: Browser;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(() => browser?.close());

const video = (page: Page) => page.locator('[data-testid="player-video"]');
const currentTime = (page: Page) => video(page).evaluate((element: HTMLVideoElement) => element.currentTime);

/** Real time, no virtual time budget: media time only moves while the clock does. */
async function waitForTime(page: Page, seconds: number, timeout = 15_000): Promise<void> {
  try {
    await page.waitForFunction((least) => (document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')?.currentTime ?? 0) > least, seconds, { timeout });
  } catch (error) {
    // Say why the media did not move: paused, starved (readyState), a media error, nothing buffered.
    const state = await video(page).evaluate((element: HTMLVideoElement) => ({
      currentTime: element.currentTime,
      paused: element.paused,
      ended: element.ended,
      readyState: element.readyState,
      networkState: element.networkState,
      error: element.error?.message,
      buffered: Array.from({ length: element.buffered.length }, (_, index) => [element.buffered.start(index), element.buffered.end(index)]),
    }));
    throw new Error(`currentTime did not pass ${seconds} s: ${JSON.stringify(state)}; page errors: ${JSON.stringify(pageErrors(page))}`, { cause: error });
  }
}

async function play(page: Page): Promise<void> {
  await video(page).waitFor();
  // The player starts by itself once the manifest is in; a browser that refuses autoplay needs the button.
  await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')?.readyState ?? 0) >= HTMLMediaElement.HAVE_METADATA);
  if (await video(page).evaluate((element: HTMLVideoElement) => element.paused)) await page.locator('.player-controls').getByRole('button', { name: 'Play' }).click();
}

test('sign up, find a course, enroll, watch with a quality switch, and resume after a reload', async () => {
  const page = await newPage(browser, { url: `${us}/signup` });
  const email = `learner-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await page.locator('input[name="displayName"]').fill('Browser Learner');
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill('learner-password-1');
  await page.locator('form button[type="submit"]').click();
  await page.waitForURL((address) => address.pathname === '/');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // Catalog: cards replace the skeletons, then a search narrows the list and lands in the address bar.
  await page.locator('.course-card:not(.skeleton)').first().waitFor();
  await checkAccessibility(page, 'catalog');
  await screenshots(page, 'catalog');
  await page.getByLabel('Search courses').fill('edge computing');
  await page.waitForURL((address) => address.searchParams.get('q') === 'edge computing');
  // In the results: a "For you" row (its courses can include this one) may not have left the page yet.
  const courseLink = page.getByRole('region', { name: 'Course list' }).locator(`.course-card a[href="/courses/${COURSE}"]`);
  await courseLink.waitFor();
  await page.reload();
  expect(await page.getByLabel('Search courses').inputValue()).toBe('edge computing');
  await courseLink.click();

  // Course page: enroll, then the progress and the way into the first lesson appear.
  await page.getByRole('heading', { level: 1, name: 'Edge Computing 101' }).waitFor();
  const enrolled = page.waitForResponse((response) => response.url().endsWith('/enrollment') && response.request().method() === 'POST');
  await page.getByRole('button', { name: 'Enroll' }).click();
  expect((await enrolled).status()).toBe(201);
  await page.getByRole('button', { name: 'Leave course' }).waitFor();
  await page.getByRole('progressbar', { name: 'Course progress' }).waitFor();
  await checkAccessibility(page, 'course');
  await screenshots(page, 'course');
  await page.getByRole('link', { name: /^Start: / }).click();

  // The player: hls.js plays the transcoded ladder and time really advances.
  await play(page);
  await waitForTime(page, 1);
  const player = page.locator('.player');
  await expect.poll(() => player.getAttribute('data-rendition')).toMatch(/^\d+p$/);
  const before = (await player.getAttribute('data-rendition'))!;
  const quality = page.getByLabel('Quality');
  const options = await quality.locator('option').evaluateAll((elements: HTMLOptionElement[]) => elements.map((option) => ({ value: option.value, label: option.text })));
  const other = options.find((option) => option.value !== 'auto' && option.label !== before);
  expect(other, `a rendition other than ${before} among ${JSON.stringify(options)}`).toBeDefined();
  await quality.selectOption(other!.value);
  await expect.poll(() => player.getAttribute('data-rendition'), { timeout: 10_000 }).toBe(other!.label);
  const afterSwitch = await currentTime(page);
  await waitForTime(page, afterSwitch + 0.5);

  // Storyboard: hovering the timeline shows the sprite tile for that time.
  const seek = page.locator('.seek');
  const { width, height } = (await seek.boundingBox())!;
  // hover() scrolls the timeline into view first (at 1280×800 it sits at the fold).
  await seek.hover({ position: { x: width * 0.75, y: height / 2 } });
  const tile = page.locator('.seek-thumbnail-image');
  await tile.waitFor({ timeout: 5_000 });
  expect(await tile.evaluate((element) => getComputedStyle(element).backgroundImage)).toContain('storyboard.jpg');
  await page.mouse.move(0, 0);

  // The offline copy is one MP4 of the same video, behind the same signed path.
  const download = page.getByRole('link', { name: 'Download for offline viewing (MP4)' });
  expect(await download.getAttribute('href')).toMatch(/\/media\/\d+-[0-9a-f]{64}\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/download\.mp4$/);
  expect(await download.getAttribute('download')).toMatch(/\.mp4$/);

  // Pausing saves the position; the reload must come back to it (a few seconds in, well before the 10 s end).
  await waitForTime(page, 4);
  const saved = page.waitForResponse((response) => /\/api\/lessons\/[^/]+\/progress$/.test(response.url()) && response.request().method() === 'PUT');
  await page.locator('.player-controls').getByRole('button', { name: 'Pause' }).click();
  const response = await saved;
  expect(response.status()).toBe(200);
  const progress = (await response.json()) as { positionSeconds: number; completed: boolean };
  expect(progress.completed).toBe(false);
  expect(progress.positionSeconds).toBeGreaterThan(3.5);
  await checkAccessibility(page, 'player');
  await screenshots(page, 'player');

  // The reloaded page asks for nothing as an anonymous visitor while its session comes back, even
  // when the refresh is slow (held 1 s here): the course and the lesson are the learner's own.
  const anonymous: string[] = [];
  const record = (request: Request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/api/') && !/^\/api\/(auth|analytics)\//.test(pathname) && !request.headers().authorization) anonymous.push(pathname);
  };
  page.on('request', record);
  await page.route('**/api/auth/refresh', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await route.continue();
  });
  await page.reload();
  await video(page).waitFor();
  // Resumed: the position is there before anyone presses play, not at the start.
  await waitForTime(page, progress.positionSeconds - 1.5, 10_000);
  page.off('request', record);
  await page.unroute('**/api/auth/refresh');
  expect(anonymous).toEqual([]);
  expect(Math.abs((await currentTime(page)) - progress.positionSeconds)).toBeLessThan(2);
  await play(page);
  await waitForTime(page, progress.positionSeconds + 0.5);

  await page.getByRole('link', { name: 'My learning' }).click();
  await page.locator('.course-card').first().waitFor();
  await page.getByRole('link', { name: 'Continue: Edge Computing 101' }).waitFor();
  await checkAccessibility(page, 'learning');
  await screenshots(page, 'learning');

  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
  await page.getByText('No notifications yet.').waitFor();
  await checkAccessibility(page, 'notifications');
  await screenshots(page, 'notifications');

  expectNoPageErrors(page);
  await page.close();
});
