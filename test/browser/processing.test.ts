import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { generateClip } from '../../scripts/clips.ts';
import { apiSignIn, DEMO_PASSWORD, DEMO_USERS, expectNoPageErrors, newPage, openBrowser, pageErrors, screenshots, signIn } from './harness.ts';

/**
 * A lecture watched while it is still encoded, in Chromium with hls.js in real time: the lesson
 * page opened right after the upload waits, starts by itself once the first chunk is published,
 * and plays on across three chunk borders (4, 12 and 28 s) while the playlists grow, without a stall.
 */
const { us } = inject('urls');
let browser: Browser;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(() => browser?.close());

interface MediaLog {
  playing: number[];
  waiting: number[];
  paused: number[];
}
declare global {
  interface Window {
    mediaLog?: MediaLog;
  }
}

async function api<T>(path: string, token: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const response = await fetch(`${us}${path}`, {
    method: init.method ?? (init.json ? 'POST' : 'GET'),
    headers: { authorization: `Bearer ${token}`, ...(init.json ? { 'content-type': 'application/json' } : {}) },
    body: init.json ? JSON.stringify(init.json) : undefined,
  });
  const body = (await response.json().catch(() => ({}))) as T;
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

test('a lecture starts playing while it is encoded and plays across three chunk borders without a stall', { timeout: 240_000 }, async () => {
  const token = await apiSignIn(us, DEMO_USERS.us.instructor, DEMO_PASSWORD);
  const course = await api<{ id: string; slug: string }>('/api/courses', token, { json: { title: `Live lecture ${Date.now()}` } });
  const lesson = await api<{ id: string }>(`/api/courses/${course.id}/lessons`, token, { json: { title: 'The whole lecture' } });
  await api(`/api/courses/${course.id}/publish`, token, { method: 'POST' });

  // 60 s of 854x480: four chunks (4, 8, 16 and 32 s), encoded here in about twice real time.
  const dir = await mkdtemp(join(tmpdir(), 'kce-lecture-'));
  const clip = await (async () => {
    await generateClip(join(dir, 'lecture.mp4'), { seconds: 60, size: '854x480' });
    return readFile(join(dir, 'lecture.mp4'));
  })().finally(() => rm(dir, { recursive: true, force: true }));
  const upload = await api<{ videoId: string; upload: { url: string; headers: Record<string, string> } }>('/api/videos/upload', token, {
    json: { courseId: course.id, lessonId: lesson.id, filename: 'lecture.mp4', sizeBytes: clip.byteLength, contentType: 'video/mp4' },
  });
  expect((await fetch(upload.upload.url, { method: 'PUT', headers: upload.upload.headers, body: clip })).status).toBe(200);

  // The page is open before the video can be watched: it waits, then the player starts by itself.
  const page = await newPage(browser);
  await page.addInitScript(() => {
    const log: MediaLog = { playing: [], waiting: [], paused: [] };
    window.mediaLog = log;
    // Media events do not bubble; the capture phase sees them on the document.
    document.addEventListener('playing', (event) => log.playing.push((event.target as HTMLVideoElement).currentTime), true);
    document.addEventListener('waiting', (event) => log.waiting.push((event.target as HTMLVideoElement).currentTime), true);
    document.addEventListener('pause', (event) => log.paused.push((event.target as HTMLVideoElement).currentTime), true);
  });
  const playlists: string[] = [];
  page.on('response', (response) => {
    if (/\/index\.m3u8$/.test(new URL(response.url()).pathname)) void response.text().then((text) => playlists.push(text), () => undefined);
  });
  await signIn(page, us, DEMO_USERS.us.instructor, DEMO_PASSWORD);
  const completed = Date.now();
  await api(`/api/videos/${upload.videoId}/complete`, token, { json: {} });
  await page.goto(`${us}/courses/${encodeURIComponent(course.slug)}/lessons/${lesson.id}`);
  await page.getByText('This video was just uploaded and is being processed.').waitFor();

  await page.waitForFunction(() => (window.mediaLog?.playing.length ?? 0) > 0, undefined, { timeout: 60_000 });
  const startedAfter = (Date.now() - completed) / 1000;
  // Started while the job was still running: the notice says so, and the playlists hls.js read were growing ones.
  await page.locator('.lesson-processing').getByText(/Processing, \d+\s?% — you can watch already\./).waitFor();
  expect(playlists.some((playlist) => playlist.includes('#EXT-X-PLAYLIST-TYPE:EVENT') && !playlist.includes('#EXT-X-ENDLIST'))).toBe(true);
  // The timeline shows the whole lecture, not just what is encoded so far.
  await page.locator('.player-controls').getByText(/^0:\d\d \/ 1:00$/).waitFor();
  await screenshots(page, 'lesson-processing');

  // Past the third border (28 s) in real time, with no stall after the start.
  await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')?.currentTime ?? 0) > 29.5, undefined, { timeout: 60_000 });
  const log = await page.evaluate(() => window.mediaLog);
  expect(log?.waiting.filter((time) => time > 0.5), `stalls after the start; page errors: ${JSON.stringify(pageErrors(page))}`).toEqual([]);
  const status = await api<{ status: string }>(`/api/videos/${upload.videoId}`, token);
  expect(status.status).toBe('ready');
  // The notice goes once the video is complete; the lesson then offers the download.
  await page.locator('.lesson-processing').waitFor({ state: 'detached', timeout: 15_000 });
  await page.getByRole('link', { name: 'Download for offline viewing (MP4)' }).waitFor();
  // Complete now, but never swapped mid-play: the lowest rung plays on alone until the learner pauses.
  expect(await page.getByLabel('Quality').count()).toBe(0);
  // At the pause the player takes up the whole ladder where it was, and stays paused; play goes on from there.
  const pauses = await page.evaluate(() => window.mediaLog?.paused.length ?? 0);
  await page.locator('.player-controls').getByRole('button', { name: 'Pause' }).click();
  // Where it paused, as the pause event saw it (read after the click, a busy page may have played on).
  const pausedAt = await page.waitForFunction((before) => window.mediaLog && window.mediaLog.paused.length > before && window.mediaLog.paused[before], pauses).then((handle) => handle.jsonValue() as Promise<number>);
  const quality = page.getByLabel('Quality');
  await quality.waitFor({ timeout: 15_000 });
  expect(await quality.locator('option').allTextContents()).toEqual(expect.arrayContaining(['480p', '360p']));
  const state = () => page.evaluate(() => {
    const element = document.querySelector<HTMLVideoElement>('[data-testid="player-video"]');
    return element && { currentTime: element.currentTime, readyState: element.readyState, paused: element.paused };
  });
  await page
    .waitForFunction((at) => {
      const element = document.querySelector<HTMLVideoElement>('[data-testid="player-video"]');
      return element && element.readyState >= 2 && Math.abs(element.currentTime - at) < 0.5;
    }, pausedAt, { timeout: 15_000 })
    .catch(async (error: unknown) => {
      throw new Error(`the whole ladder did not come back at ${pausedAt} s: ${JSON.stringify(await state())}`, { cause: error });
    });
  expect((await state())?.paused).toBe(true);
  await page.locator('.player-controls').getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction((from) => (document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')?.currentTime ?? 0) > from + 1, pausedAt, { timeout: 15_000 });
  console.log(`playing ${startedAfter.toFixed(1)} s after complete`);
  // Asked before it could be watched: the 409s of the wait are the expected answer.
  expectNoPageErrors(page, [/GET \/api\/videos\/[0-9a-f-]+\/playback answered 409/]);
});
