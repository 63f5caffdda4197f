import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type HlsJs from 'hls.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { apiSignIn, checkAccessibility, DEMO_PASSWORD, DEMO_USERS, expectNoPageErrors, newPage, openBrowser, SCREENSHOT_DIR, screenshots, signIn } from './harness.ts';

/**
 * Captions end to end in Chromium: the demo instructor uploads an English and an Arabic track; a
 * learner picks Arabic from the player's menu and reads it right to left over the picture, follows and
 * searches the transcript, and finds the lesson from the catalog by a word said in it.
 */
const { us } = inject('urls');
const COURSE = 'edge-computing-101-us';
const ENGLISH = `WEBVTT

00:00:01.000 --> 00:00:04.000
Welcome to the <b>introduction</b>

00:00:04.000 --> 00:00:08.000
Edge computing runs
close to its users
`;
const ARABIC = `WEBVTT

00:00:01.000 --> 00:00:04.000
مرحباً بكم في <i>مقدّمة</i> الدورة

00:00:04.000 --> 00:00:08.000
الحوسبة الطرفية
قريبة من المستخدمين
`;

let browser: Browser;
let instructor: string;
let courseId: string;
let videoId: string;
let lessonId: string;

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${us}${path}`, { ...init, headers: { authorization: `Bearer ${instructor}`, 'content-type': 'application/json', ...init.headers } });

beforeAll(async () => {
  browser = await openBrowser();
  instructor = await apiSignIn(us, DEMO_USERS.us.instructor, DEMO_PASSWORD);
  const course = (await (await fetch(`${us}/api/courses/${COURSE}`)).json()) as { id: string; lessons: Array<{ id: string; position: number; videoId: string | null }> };
  courseId = course.id;
  const first = course.lessons.toSorted((a, b) => a.position - b.position)[0]!;
  lessonId = first.id;
  videoId = first.videoId!;
  for (const [language, label, content, isDefault] of [
    ['en', 'English', ENGLISH, true],
    ['ar', 'العربية', ARABIC, false],
  ] as const) {
    const response = await api(`/api/videos/${videoId}/captions/${language}`, { method: 'PUT', body: JSON.stringify({ label, isDefault, content }) });
    expect([200, 201], `PUT ${language}: ${await response.clone().text()}`).toContain(response.status);
  }
});

afterAll(async () => {
  // The other browser tests watch this video: they get it back without captions.
  for (const language of ['en', 'ar']) await api(`/api/videos/${videoId}/captions/${language}`, { method: 'DELETE' });
  await browser?.close();
});

const video = (page: Page) => page.locator('[data-testid="player-video"]');
const currentTime = (page: Page) => video(page).evaluate((element: HTMLVideoElement) => element.currentTime);

/** Stops the autoplay and puts the video at `seconds`: captions follow a seek while paused too. */
async function pauseAt(page: Page, seconds: number): Promise<void> {
  await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')?.readyState ?? 0) >= HTMLMediaElement.HAVE_METADATA);
  // Until it stays there: hls.js moves to its start position (a saved one) once its first fragment is in.
  const settled = () =>
    video(page).evaluate((element: HTMLVideoElement, at) => {
      element.pause();
      const there = Math.abs(element.currentTime - at) < 0.05;
      if (!there) element.currentTime = at;
      return there;
    }, seconds);
  await expect.poll(settled, { interval: 250 }).toBe(true);
}

test('the player shows the chosen track right to left, the transcript follows and searches it, and hls.js is not a second renderer', async () => {
  const page = await newPage(browser);
  await signIn(page, us, DEMO_USERS.us.learner, DEMO_PASSWORD);
  await page.goto(`${us}/courses/${COURSE}/lessons/${lessonId}`);

  const menu = page.locator('.player-controls').getByLabel('Captions');
  await expect.poll(async () => (await menu.locator('option').allTextContents()).toSorted()).toEqual(['Captions off', 'English', 'العربية']);
  // The default track is on from the start.
  expect(await menu.inputValue()).toBe('en');
  await menu.selectOption('ar');

  await pauseAt(page, 2);
  const box = page.locator('.player-captions-box');
  await expect.poll(() => box.textContent()).toBe('مرحباً بكم في مقدّمة الدورة');
  expect(await box.getAttribute('dir')).toBe('rtl');
  expect(await box.locator('p').evaluate((line) => getComputedStyle(line).direction)).toBe('rtl');
  // One rendering: the video has only the player's two tracks (hls.js adds none), neither showing; the player draws the cues.
  expect(await video(page).evaluate((element: HTMLVideoElement) => [...element.textTracks].map((track) => `${track.language}:${track.mode}`).sort())).toEqual(['ar:hidden', 'en:disabled']);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.locator('.lesson-media').screenshot({ path: `${SCREENSHOT_DIR}/captions-arabic.png` });

  // A two-line cue keeps its line break.
  await pauseAt(page, 5);
  await expect.poll(() => box.locator('p').innerText()).toBe('الحوسبة الطرفية\nقريبة من المستخدمين');

  // The transcript: the line being said is marked; a click on another plays from it.
  const transcript = page.locator('.transcript');
  expect(await transcript.locator('ol').getAttribute('dir')).toBe('rtl');
  await expect.poll(() => transcript.locator('[aria-current="true"]').textContent()).toContain('الحوسبة الطرفية');
  await transcript.getByRole('button', { name: /مقدّمة/ }).click();
  await expect.poll(() => currentTime(page)).toBeCloseTo(1, 0);
  await expect.poll(() => transcript.locator('[aria-current="true"]').textContent()).toContain('مقدّمة');

  // Searching without the shadda and with ha for ta marbuta still finds the line, marked.
  await transcript.getByLabel('Search the transcript').fill('مقدمه');
  await expect.poll(() => transcript.locator('li').count()).toBe(1);
  expect(await transcript.locator('mark').textContent()).toBe('مقدّمة');
  await transcript.getByLabel('Search the transcript').fill('');

  // `c` turns captions off and back on to the last language; the choice is remembered.
  await video(page).focus();
  await page.keyboard.press('c');
  await expect.poll(() => menu.inputValue()).toBe('');
  await expect.poll(() => box.count()).toBe(0);
  await page.keyboard.press('c');
  await expect.poll(() => menu.inputValue()).toBe('ar');
  await page.reload();
  await expect.poll(() => menu.inputValue()).toBe('ar');

  // hls.js (its light build, without subtitles) gets the tracks in the master playlist and leaves them to the player.
  const playback = (await (await api(`/api/videos/${videoId}/playback`)).json()) as { master: string };
  const master = await (await fetch(new URL(playback.master, us))).text();
  expect(master).toMatch(/#EXT-X-MEDIA:TYPE=SUBTITLES,.*LANGUAGE="en"/);
  expect(master).toMatch(/#EXT-X-MEDIA:TYPE=SUBTITLES,.*LANGUAGE="ar"/);

  await checkAccessibility(page, 'lesson-captions');
  // Side by side on a desktop, the transcript under the video on a phone.
  await screenshots(page, 'lesson-captions');
  expectNoPageErrors(page);
  await page.close();
});

test('the tracks are in the HLS stream itself: hls.js and ffprobe find them through the master playlist', async () => {
  const playback = (await (await api(`/api/videos/${videoId}/playback`)).json()) as { master: string; captions: Array<{ id: string; language: string; url: string }> };
  const master = new URL(playback.master, us).href;

  // The full hls.js build (the player ships the light one, which leaves subtitles to it), in a page of the platform's origin.
  const page = await browser.newPage();
  await page.route(`${us}/hls-check`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>hls.js</title>' }));
  await page.goto(`${us}/hls-check`);
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js') });
  const seen = await page.evaluate(
    (url) =>
      new Promise<Array<{ lang?: string; name: string; default: boolean }>>((resolve, reject) => {
        const { Hls } = window as unknown as { Hls: typeof HlsJs };
        const hls = new Hls();
        hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => resolve(data.subtitleTracks.map(({ lang, name, default: isDefault }) => ({ lang, name, default: isDefault }))));
        hls.on(Hls.Events.ERROR, (_event, data) => data.fatal && reject(new Error(data.details)));
        hls.loadSource(url);
      }),
    master,
  );
  expect(seen).toEqual([
    { lang: 'ar', name: 'العربية', default: false },
    { lang: 'en', name: 'English', default: true },
  ]);
  await page.close();

  // Debian's ffmpeg (5.1) names the subtitle renditions of the master (it demuxes no HLS subtitles
  // yet), and reads each rendition's own playlist as a WebVTT stream with its cues.
  const probe = await run('ffprobe', ['-v', 'debug', master]);
  const named = probe.split('\n').filter((line) => /subtitle/i.test(line));
  for (const track of playback.captions) expect(named.join('\n'), probe.slice(-3000)).toContain(`captions/${track.id}/`);
  // The rendition's playlist sits beside its WebVTT file.
  const arabicPlaylist = new URL(playback.captions.find((track) => track.language === 'ar')!.url, us).href.replace(/\.vtt$/, '.m3u8');
  expect(await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'csv=p=0', arabicPlaylist])).toContain('webvtt,subtitle');
  expect(await run('ffmpeg', ['-v', 'error', '-i', arabicPlaylist, '-f', 'webvtt', '-'])).toContain('الحوسبة الطرفية');
});

/** A program's output (stdout, then stderr), failing the test if it fails. */
async function run(program: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(program, args, { maxBuffer: 16 * 1024 ** 2 });
  return stdout + stderr;
}

test('a word said in a lesson finds it in the catalog, and the hit opens the lesson at that second', async () => {
  const page = await newPage(browser, { url: `${us}/?q=introduction` });
  const hit = page.locator('.spoken-hit').filter({ hasText: 'Welcome to the introduction' });
  await hit.waitFor();
  expect(await hit.locator('mark').textContent()).toBe('introduction');
  expect(await hit.textContent()).toContain('0:01');
  await checkAccessibility(page, 'catalog-spoken');
  await screenshots(page, 'catalog-spoken');
  await hit.getByRole('link').click();
  await page.waitForURL((address) => address.pathname === `/courses/${COURSE}/lessons/${lessonId}` && address.searchParams.get('t') === '1');
  // hls.js seeks to its start position once the first playlist is in, which may be after the metadata.
  await expect.poll(() => currentTime(page)).toBeGreaterThanOrEqual(0.9);
  expectNoPageErrors(page);
  await page.close();
});

test('the instructor uploads a track, reads a refusal by its line, edits and shifts cues, and deletes the track', async () => {
  const page = await newPage(browser);
  await signIn(page, us, DEMO_USERS.us.instructor, DEMO_PASSWORD);
  await page.goto(`${us}/teach/courses/${courseId}`);
  const captions = page.locator('.teach-captions').first();
  await captions.locator('summary').click();
  await captions.getByText('العربية').waitFor();

  const upload = captions.locator('.teach-caption-upload');
  await upload.getByLabel('Language tag').fill('fr');
  await upload.getByLabel('Name shown to learners').fill('Français');
  const file = (content: string) => ({ name: 'captions.vtt', mimeType: 'text/vtt', buffer: Buffer.from(content) });
  await upload.getByLabel('Caption file (.vtt or .srt)').setInputFiles(file('WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nBonjour\n'));
  await upload.getByRole('button', { name: 'Upload captions' }).click();
  // Line 3 may be a cue's identifier (it has no `-->`), so the timing is missed on line 4.
  await expect.poll(() => upload.getByRole('alert').textContent()).toContain('Line 4: expected a cue timing line');

  await upload.getByLabel('Caption file (.vtt or .srt)').setInputFiles(file('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nBonjour\n\n00:00:03.000 --> 00:00:04.000\nAu revoir\n'));
  await upload.getByRole('button', { name: 'Upload captions' }).click();
  await captions.getByRole('button', { name: 'Edit the cues of Français' }).click();

  await captions.getByLabel('Text of cue 1').fill('Bonjour à tous');
  await captions.getByLabel('Shift every timing by (seconds, negative is earlier)').fill('0.5');
  await captions.getByRole('button', { name: 'Shift', exact: true }).click();
  expect(await captions.getByLabel('Start of cue 2, in seconds').inputValue()).toBe('3.5');
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await captions.screenshot({ path: `${SCREENSHOT_DIR}/captions-editor.png` });
  const saved = page.waitForResponse((response) => response.url().endsWith('/captions/fr') && response.request().method() === 'PUT');
  await captions.getByRole('button', { name: 'Save cues' }).click();
  expect((await saved).status()).toBe(200);
  const track = (await (await api(`/api/videos/${videoId}/captions/fr`)).json()) as { version: number; cues: Array<{ startMs: number; endMs: number; text: string }> };
  expect(track.version).toBe(2);
  expect(track.cues).toEqual([
    { startMs: 1500, endMs: 2500, text: 'Bonjour à tous' },
    { startMs: 3500, endMs: 4500, text: 'Au revoir' },
  ]);

  await captions.getByRole('button', { name: 'Delete the Français captions' }).click();
  await captions.getByText('Français').waitFor({ state: 'detached' });
  expect((await api(`/api/videos/${videoId}/captions/fr`)).status).toBe(404);
  expectNoPageErrors(page, [/PUT \/api\/videos\/[^/]+\/captions\/fr answered 422/]);
  await page.close();
});
