import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { generateClip } from '../../scripts/clips.ts';
import { checkAccessibility, DEMO_PASSWORD, DEMO_USERS, expectNoPageErrors, newPage, openBrowser, screenshots, signIn } from './harness.ts';

/**
 * The instructor's path through the UI: create a course, add a lesson, upload a clip made here
 * with ffmpeg (watching the progress bar), wait for the transcode, publish, and find the course
 * as an anonymous visitor.
 */
const { us } = inject('urls');
let browser: Browser;
let dir: string;
let clip: string;

beforeAll(async () => {
  browser = await openBrowser();
  dir = await mkdtemp(join(tmpdir(), 'kce-instructor-'));
  clip = join(dir, 'lesson-clip.mp4');
  await generateClip(clip, { seconds: 4, size: '640x360' });
});
afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every value the upload's progress bar shows, recorded in the page (uploads outrun polling from here). */
async function recordUploadProgress(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { uploadProgress: number[] }).uploadProgress = seen;
    new MutationObserver(() => {
      const bar = document.querySelector('.teach-upload [role="progressbar"]');
      const value = Number(bar?.getAttribute('aria-valuenow'));
      if (bar && seen.at(-1) !== value) seen.push(value);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  return () => page.evaluate(() => (window as unknown as { uploadProgress: number[] }).uploadProgress);
}

/** The demo instructor's editor of a new draft course with one lesson: the page and that lesson's block. */
async function draftWithLesson(title: string, lessonTitle: string) {
  const page = await newPage(browser);
  await signIn(page, us, DEMO_USERS.us.instructor, DEMO_PASSWORD);
  await page.goto(`${us}/teach/new`);
  await page.getByLabel('Title').fill(`${title} ${Date.now()}`);
  await page.getByRole('button', { name: 'Create course' }).click();
  await page.waitForURL(/\/teach\/courses\//);
  await page.getByLabel('New lesson title').fill(lessonTitle);
  await page.getByRole('button', { name: 'Add lesson' }).click();
  const lesson = page.locator('.teach-lesson').first();
  await lesson.getByLabel('Title of lesson 1').waitFor();
  return { page, lesson };
}

const unreadBadge = async (page: Page) => Number((await page.locator('header .badge').textContent({ timeout: 1_000 }).catch(() => ''))?.replace(/\D/g, '') || 0);

test('an instructor creates a course, uploads a video that gets transcoded, publishes, and a visitor finds it', async () => {
  const page = await newPage(browser);
  await signIn(page, us, DEMO_USERS.us.instructor, DEMO_PASSWORD);

  await page.goto(`${us}/teach`);
  await page.locator('.teach-course').first().waitFor();
  await checkAccessibility(page, 'my courses');
  await screenshots(page, 'instructor-my-courses');

  const title = `Orchard acoustics ${Date.now()}`;
  await page.getByRole('link', { name: 'New course' }).click();
  // The API's validation lands next to the input it is about.
  await page.getByLabel('Title').fill('ab');
  await page.getByRole('button', { name: 'Create course' }).click();
  await expect.poll(() => page.getByLabel('Title').getAttribute('aria-invalid')).toBe('true');
  expect(await page.locator('.field-error').first().textContent()).toContain('at least 3 characters');

  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Summary').fill('Listening to trees, recorded by a browser test.');
  await page.getByLabel('Tags').fill('audio, nature');
  await page.getByRole('button', { name: 'Create course' }).click();
  await page.waitForURL(/\/teach\/courses\/[0-9a-f-]{36}$/);
  await page.getByRole('heading', { name: title }).waitFor();

  // No lessons yet: the API's refusal is shown.
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect.poll(() => page.locator('.teach-publish [role="alert"]').textContent()).toContain('at least one lesson');

  await page.getByLabel('New lesson title').fill('Why orchards sound different');
  await page.getByRole('button', { name: 'Add lesson' }).click();
  const lesson = page.locator('.teach-lesson').first();
  await lesson.getByLabel('Title of lesson 1').waitFor();

  // Slow the upload so the bar is seen moving, with speed and time left, not just done.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 24 * 1024 });
  const progress = await recordUploadProgress(page);
  const unreadBefore = await unreadBadge(page);
  await lesson.locator('input[type="file"]').setInputFiles(clip);
  await lesson.getByText(/left$/).waitFor();
  expect(await lesson.locator('.teach-upload-numbers').textContent()).toMatch(/kB of \d+(\.\d)? kB.*kB\/s/);
  await lesson.locator('.teach-upload').waitFor({ state: 'detached', timeout: 60_000 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const values = await progress();
  expect(values.some((value) => value > 0 && value < 100)).toBe(true);
  expect(values.at(-1)).toBe(100);

  // Processing is followed live until the video is ready, then confirmed, and the header hears of it.
  await lesson.locator('.video-ready').waitFor({ timeout: 90_000 });
  await lesson.getByText('The video is ready: learners can watch it.').waitFor();
  await expect.poll(() => unreadBadge(page), { timeout: 30_000 }).toBeGreaterThan(unreadBefore);

  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByRole('button', { name: 'Unpublish' }).waitFor();
  expect(await page.locator('.teach-heading .status-badge').textContent()).toBe('Published');
  await checkAccessibility(page, 'course editor');
  await screenshots(page, 'instructor-course-editor');
  expectNoPageErrors(page, [/POST \/api\/courses answered 400/, /POST \/api\/courses\/[0-9a-f-]+\/publish answered 409/]);
  await page.close();

  const visitor = await newPage(browser, { url: `${us}/?q=${encodeURIComponent(title)}` });
  await visitor.getByRole('link', { name: title }).first().waitFor();
  expectNoPageErrors(visitor);
  await visitor.close();
});

test('a multipart upload interrupted by a reload resumes with the parts storage does not have yet', async () => {
  // Above 100 MiB the API answers with a multipart upload (16 MiB parts). Not a video: the
  // transcode then fails, which shows the failure state too.
  const big = join(dir, 'large-recording.mp4');
  await writeFile(big, Buffer.alloc(101 * 1024 ** 2, 1));
  const { page, lesson } = await draftWithLesson('Resumable upload', 'Long recording');

  const partPuts: number[] = [];
  page.on('response', (response) => {
    const partNumber = new URL(response.url()).searchParams.get('partNumber');
    if (response.request().method() === 'PUT' && partNumber && response.ok()) partPuts.push(Number(partNumber));
  });
  // Throttled, so the reload lands while parts are still on their way.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 16 * 1024 ** 2 });
  await lesson.locator('input[type="file"]').setInputFiles(big);
  await expect.poll(() => partPuts.length, { timeout: 60_000 }).toBeGreaterThan(0);
  // The page asks before leaving an upload in progress; the instructor leaves anyway.
  page.once('dialog', (dialog) => void dialog.accept());
  await page.reload();

  await lesson.getByText(/was interrupted/).waitFor();
  const before = partPuts.length;
  await lesson.locator('input[type="file"]').setInputFiles(big);
  await lesson.locator('.teach-upload').waitFor({ state: 'detached', timeout: 60_000 });
  const resumedParts = partPuts.slice(before);
  // Seven parts in all; those stored before the reload were not sent again.
  expect(resumedParts.length).toBeGreaterThan(0);
  expect(before + resumedParts.length).toBeLessThanOrEqual(7);
  expect(resumedParts.some((n) => partPuts.slice(0, before).includes(n))).toBe(false);
  await lesson.locator('.video-failed').waitFor({ timeout: 60_000 });
  await lesson.locator('.teach-video [role="alert"]').waitFor();
  await screenshots(page, 'instructor-video-failed');
  // Its source is not a video: processing it again cannot help, so it is not offered.
  expect(await lesson.getByRole('button', { name: 'Process again' }).count()).toBe(0);
  await page.close();
});

test('an instructor cancels a lecture being processed, then has it processed again', { timeout: 180_000 }, async () => {
  // 60 s of 854x480: about 40 s of encoding here, long enough to be caught while it runs.
  const lecture = join(dir, 'long-lecture.mp4');
  await generateClip(lecture, { seconds: 60, size: '854x480' });
  const { page, lesson } = await draftWithLesson('Cancelled lecture', 'A lecture');
  await lesson.locator('input[type="file"]').setInputFiles(lecture);
  await lesson.locator('.teach-upload').waitFor({ state: 'detached', timeout: 60_000 });

  // Two clicks: the first asks, in the button's place.
  await lesson.getByRole('button', { name: 'Cancel processing' }).click();
  await lesson.getByText('Stop processing this video?').waitFor();
  await screenshots(page, 'instructor-cancel-processing');
  const cancel = () => {
    const answer = page.waitForResponse((response) => response.url().endsWith('/cancel') && response.request().method() === 'POST');
    return lesson.getByRole('button', { name: 'Yes, cancel' }).click().then(() => answer);
  };
  expect((await cancel()).status()).toBe(200);
  await lesson.locator('.video-cancelled').getByText('Processing cancelled').waitFor();
  expect(await lesson.getByRole('button', { name: 'Cancel processing' }).count()).toBe(0);

  const retried = page.waitForResponse((response) => response.url().endsWith('/retry') && response.request().method() === 'POST');
  await lesson.getByRole('button', { name: 'Process again' }).click();
  const answer = await retried;
  expect(answer.status()).toBe(202);
  expect(await answer.json()).toMatchObject({ status: 'queued', attempts: 0, error: null });
  await lesson.locator('.video-cancelled').waitFor({ state: 'detached' });
  // Running again; cancelled again, so the machine is not kept busy.
  await lesson.getByRole('button', { name: 'Cancel processing' }).click();
  expect((await cancel()).status()).toBe(200);
  await lesson.locator('.video-cancelled').waitFor();
  expectNoPageErrors(page);
  await page.close();
});
