import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { chromium } from 'playwright-core';
import { startS3 } from '../scripts/services/s3.ts';
import { localJob, receiveEvent, startTranscoder } from '../scripts/services/transcoder.ts';
import { JobStatus, type JobState, type PlayableResult, type TranscodeJob, type TranscodeResult } from '../contracts/transcoder.ts';
import { PRESET } from '../transcoder/src/ffmpeg.ts';
import { storageAt } from '../workers/lib/storage.ts';
import { cpuSeconds, encodeSingleProcess } from './encode.ts';
import { oneSample, printCells, recordResults } from './harness.ts';
import { sourceOf } from './sources.ts';

/**
 * `npm run bench:playable` (and the first part of `npm run bench:transcode`): issue #13's time to
 * playable beside time to ready, for 1080p30 sources of BENCH_MINUTES (default 1,5,20,60), each
 * generated once into .data/bench/ and kept.
 *
 * `complete` is the upload's last step, after which the media Worker posts the job to the
 * transcoder; so the source is put into local S3 first, untimed (that is the upload), and the clock
 * starts at POST /jobs to the first of a local pool of transcoder processes (as many as cores), which
 * sends the chunks to the pool; they read the source from S3 by ranges and store what they encode. Measured, each
 * sample on its own, nothing projected (the projection to containers is bench/transcode.ts's):
 * - to the signed `playable` callback;
 * - to hls.js (light, in Debian's Chromium) firing `playing` on a page that starts loading once that
 *   callback arrives: muted autoplay from 0 s, the job's files from S3 through a local server;
 * - for BENCH_READY_MINUTES (default 5): to the `ready` callback and the CPU seconds of the
 *   transcoder process with its ffmpeg runs; then, with nothing else running, today's single process
 *   on the same source (bench/encode.ts: local files, no storage) and its ffmpeg CPU seconds. Other
 *   lengths are cancelled (DELETE) once playing, so an hour is not encoded in full.
 * Each sample throws unless it is what its row claims: the job still running when hls.js plays, the
 * first media playlist hls.js loaded a growing one (EVENT, no ENDLIST), the video past 1 s, and the
 * playable and ready results as long as the source (within 0.1 s).
 */
const minutesFrom = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map(Number);
const MINUTES = minutesFrom('BENCH_MINUTES', '1,5,20,60');
const READY_MINUTES = minutesFrom('BENCH_READY_MINUTES', '5');
const WORKERS = availableParallelism();
/** From issue #13: playing within 10 s of `complete`, whatever the length. */
const AIM_SECONDS = 10;
const BUCKET = 'media';
const HLS = fileURLToPath(new URL('../node_modules/hls.js/dist/hls.light.min.js', import.meta.url));

/** The page a learner opens: hls.js as the lesson page sets it up, reporting `playing` and fatal errors to the bench. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<video muted autoplay playsinline></video>
<script src="/hls.light.min.js"></script>
<script>
  const video = document.querySelector('video');
  video.addEventListener('playing', () => window.benchPlaying(), { once: true });
  const hls = new Hls({ startPosition: 0 });
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch((error) => window.benchFailed(String(error))));
  hls.on(Hls.Events.ERROR, (_event, data) => data.fatal && window.benchFailed(data.details));
  hls.loadSource(new URLSearchParams(location.search).get('master'));
  hls.attachMedia(video);
</script>`;

interface Arrival<T> {
  /** performance.now() when the callback arrived. */
  at: number;
  result: T;
}
interface Expected {
  playable: PromiseWithResolvers<Arrival<PlayableResult>>;
  ready: PromiseWithResolvers<Arrival<TranscodeResult>>;
}

/** Settles with `promise`, or fails naming `what` after `seconds`. */
async function within<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${seconds} s`)), seconds * 1000)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function listen(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const s3 = await startS3({ buckets: [BUCKET] });
const storage = storageAt({ ...s3, bucket: BUCKET }).s3;
const transcoder = await startTranscoder({ members: WORKERS });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

// The callbacks of the jobs under way, verified: a bad signature or a `failed` event fails the sample.
const expected = new Map<string, Expected>();
const receiver = await listen(async (request, response) => {
  const at = performance.now();
  const { event, signed } = await receiveEvent(request, transcoder.callbackSecret);
  const job = expected.get(event.jobId);
  response.writeHead(signed ? 204 : 401).end();
  const fail = (error: Error) => [job?.playable, job?.ready].forEach((waiting) => waiting?.reject(error));
  if (!signed) fail(new Error(`a ${event.type} callback with a bad signature`));
  else if (event.type === 'playable') job?.playable.resolve({ at, result: event.result });
  else if (event.type === 'ready') job?.ready.resolve({ at, result: event.result });
  else if (event.type === 'failed') fail(new Error(`the job failed: ${event.error.code}, ${event.error.message}`));
});

// The page, hls.js and the jobs' files from S3 as stored (type, Cache-Control); playlists are kept to be checked.
const playlists: Array<{ key: string; text: string }> = [];
const site = await listen(async (request, response) => {
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  if (pathname === '/') return void response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  if (pathname === '/hls.light.min.js') return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(HLS));
  const key = decodeURIComponent(pathname.slice(1));
  const object = await storage.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })).catch((error: Error) => error);
  if (object instanceof Error) return void response.writeHead(object.name === 'NoSuchKey' ? 404 : 502).end(object.message);
  const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  if (key.endsWith('.m3u8')) playlists.push({ key, text: body.toString('utf8') });
  const cacheControl = object.CacheControl ? { 'cache-control': object.CacheControl } : {};
  response.writeHead(200, { 'content-type': object.ContentType ?? 'application/octet-stream', 'content-length': body.length, ...cacheControl }).end(body);
});

async function jobState(jobId: string): Promise<JobState> {
  return JobStatus.parse(await (await fetch(`${transcoder.url}/jobs/${jobId}`)).json()).state;
}

/** CPU seconds of the transcoder processes and of their ffmpeg runs that have ended. */
async function transcoderCpuSeconds(): Promise<number> {
  let total = 0;
  for (const { pid } of transcoder.members) {
    if (pid === undefined) throw new Error('a transcoder has no process');
    const { own, children } = await cpuSeconds(pid);
    total += own + children;
  }
  return total;
}

function checkLength(what: string, result: PlayableResult, seconds: number): void {
  if (Math.abs(result.durationSeconds - seconds) > 0.1) throw new Error(`${what}: ${result.durationSeconds} s long, the source ${seconds} s`);
}

interface Sample {
  playable: number;
  playing: number;
  ready?: { seconds: number; cpuSeconds: number };
}

/**
 * Posts the job with a learner's tab open (as their browser is before `complete`), loads the page
 * in it once `playable` arrives and returns once hls.js plays, checked; the tab is closed after, so
 * it takes no CPU from the rest of the encode.
 */
async function untilPlaying(job: TranscodeJob, events: Expected, seconds: number) {
  const page = await browser.newPage();
  try {
    const playing = Promise.withResolvers<number>();
    await page.exposeFunction('benchPlaying', () => playing.resolve(performance.now()));
    await page.exposeFunction('benchFailed', (details: string) => playing.reject(new Error(`hls.js: ${details}`)));
    const cpuBefore = await transcoderCpuSeconds();
    const posted = performance.now();
    const accepted = await fetch(`${transcoder.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job) });
    if (accepted.status !== 202) throw new Error(`POST /jobs answered ${accepted.status}: ${await accepted.text()}`);

    const playable = await within(events.playable.promise, 300, 'playable callback');
    const { prefix } = playable.result;
    const master = `${prefix}${playable.result.master}`;
    const [started] = await Promise.all([
      within(playing.promise.then(async (at) => ({ at, state: await jobState(job.jobId) })), 120, '`playing` from hls.js'),
      page.goto(`${site.url}/?master=${encodeURIComponent(`/${master}`)}`),
    ]);
    if (started.state !== 'running') throw new Error(`the job was ${started.state} when hls.js started playing, not running`);
    const firstMedia = playlists.find((playlist) => playlist.key.startsWith(prefix) && playlist.key !== master);
    if (!firstMedia?.text.includes('#EXT-X-PLAYLIST-TYPE:EVENT') || firstMedia.text.includes('#EXT-X-ENDLIST')) {
      throw new Error(`the first media playlist hls.js loaded was not a growing one: ${firstMedia?.key}\n${firstMedia?.text}`);
    }
    await page.waitForFunction('document.querySelector("video").currentTime > 1', undefined, { timeout: 30_000 });
    checkLength('the playable result', playable.result, seconds);
    return { posted, cpuBefore, playable: (playable.at - posted) / 1000, playing: (started.at - posted) / 1000 };
  } finally {
    await page.close();
  }
}

/** Until hls.js plays, then to `ready` or cancelled. */
async function sample(minutes: number, toReady: boolean): Promise<Sample> {
  const seconds = minutes * 60;
  const { path } = await sourceOf(seconds);
  const sourceKey = `uploads/${minutes}min.mp4`;
  console.log(`${minutes} min: uploading the source to local S3 (not timed)...`);
  await storage.send(new PutObjectCommand({ Bucket: BUCKET, Key: sourceKey, Body: createReadStream(path), ContentLength: (await stat(path)).size }));
  const job = localJob(s3, { bucket: BUCKET, key: sourceKey }, `${receiver.url}/transcoder-events`);
  const events: Expected = { playable: Promise.withResolvers(), ready: Promise.withResolvers() };
  // Awaited only when the row needs them: a cancelled job's late events must not crash the bench.
  for (const waiting of Object.values(events)) waiting.promise.catch(() => undefined);
  expected.set(job.jobId, events);
  try {
    console.log(`${minutes} min: POST /jobs, ${toReady ? 'to ready' : 'until playing'}...`);
    const { posted, cpuBefore, playable, playing } = await untilPlaying(job, events, seconds);
    if (!toReady) {
      const cancelled = await fetch(`${transcoder.url}/jobs/${job.jobId}`, { method: 'DELETE' });
      if (cancelled.status !== 204) throw new Error(`DELETE /jobs/${job.jobId} answered ${cancelled.status}`);
      return { playable, playing };
    }
    // At most 20 times slower than real time.
    const ready = await within(events.ready.promise, 20 * seconds, 'ready callback');
    const cpuSecondsUsed = (await transcoderCpuSeconds()) - cpuBefore;
    checkLength('the ready result', ready.result, seconds);
    return { playable, playing, ready: { seconds: (ready.at - posted) / 1000, cpuSeconds: cpuSecondsUsed } };
  } finally {
    expected.delete(job.jobId);
  }
}

const samples = new Map<number, Sample>();
try {
  for (const minutes of MINUTES) samples.set(minutes, await sample(minutes, READY_MINUTES.includes(minutes)));
} finally {
  await browser.close();
  await transcoder.stop();
  await Promise.all([receiver.close(), site.close()]);
  storage.destroy();
  await s3.stop();
}

// Today's single process on the same sources, with nothing else running.
const single = new Map<number, Awaited<ReturnType<typeof encodeSingleProcess>>>();
for (const minutes of MINUTES.filter((length) => READY_MINUTES.includes(length))) {
  console.log(`${minutes} min: single process...`);
  single.set(minutes, await encodeSingleProcess(await sourceOf(minutes * 60)));
}

const { ladder } = await sourceOf(MINUTES[0]! * 60);
const cell = (seconds: number | undefined) => (seconds === undefined ? '-' : seconds.toFixed(1));
console.log(`\n1080p30 testsrc2 sources; ladder ${ladder.renditions.map((r) => r.name).join('/')} + audio ${ladder.audio}, x264 ${PRESET}; ${WORKERS} cores (${cpus()[0]?.model ?? 'unknown CPU'})`);
console.log('MEASURED: seconds from POST /jobs (what `complete` leads to; the upload to storage comes before it and is not counted)\n');
printCells([
  ['length', 'to playable event', 'to hls.js playing', `aim <= ${AIM_SECONDS} s`, `to ready (chunked, ${WORKERS} transcoders)`, 'CPU s chunked', 'to ready (single process)', 'CPU s single'],
  ...MINUTES.map((minutes) => {
    const { playable, playing, ready } = samples.get(minutes)!;
    const baseline = single.get(minutes);
    return [`${minutes} min`, cell(playable), cell(playing), playing <= AIM_SECONDS ? 'met' : 'MISSED', cell(ready?.seconds), cell(ready?.cpuSeconds), cell(baseline?.seconds), cell(baseline?.cpuSeconds)];
  }),
]);
console.log(
  '\nchecked in every row: the job still running when hls.js played, its first media playlist EVENT without ENDLIST, the video past 1 s, the results as long as the source;' +
    `\nchunked: ${WORKERS} transcoder processes reading from and writing to local S3, CPU of the processes and their ffmpeg runs; single process: local files, CPU of its ffmpeg runs; "-": cancelled once playing (BENCH_READY_MINUTES=${READY_MINUTES.join(',')})\n`,
);

const singleProcess = (minutes: number) => {
  const baseline = single.get(minutes);
  return baseline && { measurement: oneSample(`${minutes} min source to ready, single process (local files)`, baseline.seconds * 1000), realTime: (minutes * 60) / baseline.seconds };
};
await recordResults(
  'time to playable',
  MINUTES.map((minutes) => ({
    budget: `≤ ${AIM_SECONDS} s (aim)`,
    measured: oneSample(`${minutes} min source: POST /jobs → hls.js playing`, samples.get(minutes)!.playing * 1000),
    baseline: singleProcess(minutes)?.measurement,
    rate: null,
  })),
);
await recordResults(
  'transcode',
  MINUTES.flatMap((minutes) => {
    const ready = samples.get(minutes)!.ready;
    const baseline = singleProcess(minutes);
    if (!ready) return [];
    return [{
      budget: '—',
      measured: oneSample(`${minutes} min source to ready, chunked (${WORKERS} transcoders, S3)`, ready.seconds * 1000),
      baseline: baseline?.measurement,
      rate: { unit: '× real time', measured: (minutes * 60) / ready.seconds, baseline: baseline?.realTime },
    }];
  }),
);
