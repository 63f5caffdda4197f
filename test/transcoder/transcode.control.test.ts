import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TaskLine, TranscoderError } from '../../contracts/transcoder.ts';
import { ffmpegProcessesIn, makeClip, startHarness, watchWork, type Harness } from './harness.ts';

describe('transcoder: cancelling, repeated requests, lost callbacks, bad requests', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ progressIntervalMs: 200 });
    await harness.put('raw/short.mp4', await makeClip({ width: 640, height: 360, seconds: 4 }));
  });
  afterAll(async () => {
    await harness?.stop();
  });

  const jobUrl = (jobId: string) => `${harness.transcoder.url}/jobs/${jobId}`;

  it('cancels a running job: ffmpeg killed, temporary folder removed, nothing published, no final event', async () => {
    // Long enough to still be encoding when the DELETE arrives.
    await harness.put('raw/long.mp4', await makeClip({ width: 1280, height: 720, seconds: 12 }));
    const job = harness.jobFor('raw/long.mp4');
    expect((await harness.post(job)).status).toBe(202);
    // The 12 s source is two chunks beside the whole-file pass, two ffmpeg runs at a time.
    await vi.waitFor(async () => expect((await ffmpegProcessesIn(harness.workDir)).length).toBeGreaterThanOrEqual(2), { timeout: 20_000, interval: 50 });
    // The job's folder, and the folder of each chunk task under way on the pool.
    const folders = await readdir(harness.workDir);
    expect(folders.filter((folder) => folder.startsWith(`job-${job.jobId}-`))).toHaveLength(1);
    expect(folders.filter((folder) => folder.startsWith(`chunk-${job.jobId}-`)).length).toBeGreaterThanOrEqual(1);

    const cancelled = await fetch(jobUrl(job.jobId), { method: 'DELETE' });
    expect(cancelled.status).toBe(204);
    // The job's own runs are gone when it answers; the chunk tasks stop as their client goes away.
    await vi.waitFor(async () => {
      expect(await ffmpegProcessesIn(harness.workDir)).toEqual([]);
      expect(await readdir(harness.workDir)).toEqual([]);
    }, { timeout: 3_000, interval: 50 });
    expect(await harness.keysUnder(job.output.prefix)).toEqual([]);
    expect((await fetch(jobUrl(job.jobId))).status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = harness.eventsOf(job.jobId);
    expect(events.filter((event) => event.type !== 'progress')).toEqual([]);
    // Stopped early on, not left to finish the encode.
    expect(Math.max(0, ...events.map((event) => (event.type === 'progress' ? event.percent : 100)))).toBeLessThan(50);
  });

  it('cancelling a finished job removes what it published', async () => {
    const job = harness.jobFor('raw/short.mp4');
    await harness.post(job);
    expect((await harness.waitForFinal(job.jobId)).type).toBe('ready');
    expect((await harness.keysUnder(job.output.prefix)).length).toBeGreaterThan(5);

    expect((await fetch(jobUrl(job.jobId), { method: 'DELETE' })).status).toBe(204);
    expect(await harness.keysUnder(job.output.prefix)).toEqual([]);
    expect((await fetch(jobUrl(job.jobId), { method: 'DELETE' })).status).toBe(404);
  });

  it('runs ffmpeg once for a job posted twice, and answers a late repeat with the result again', async () => {
    const job = harness.jobFor('raw/short.mp4');
    const work = watchWork(harness.workDir);
    const answers = await Promise.all([harness.post(job), harness.post(job)]);
    expect(answers.map((answer) => answer.status)).toEqual([202, 202]);
    expect(await Promise.all(answers.map((answer) => answer.json()))).toEqual([
      { jobId: job.jobId, state: 'accepted' },
      { jobId: job.jobId, state: 'accepted' },
    ]);
    const ready = await harness.waitForFinal(job.jobId);
    const { folders, ffmpegs } = await work.stop();
    expect(ready.type).toBe('ready');
    // One run: one job folder, one chunk task (the 4 s source is one chunk) and at most four ffmpeg
    // processes (the chunk, the audio and pictures passes, then the download's remux).
    expect([...folders].map((folder) => folder.replace(/-\w+$/, ''))).toEqual([`job-${job.jobId}`, `chunk-${job.jobId}-0`]);
    expect(ffmpegs.size).toBeGreaterThanOrEqual(1);
    expect(ffmpegs.size).toBeLessThanOrEqual(4);

    // A redelivered message after the end: no new run, the same `ready` delivered again.
    const again = watchWork(harness.workDir);
    expect((await harness.post(job)).status).toBe(202);
    await vi.waitFor(() => expect(harness.eventsOf(job.jobId).filter((event) => event.type === 'ready')).toHaveLength(2));
    expect((await again.stop()).ffmpegs.size).toBe(0);
    expect(harness.eventsOf(job.jobId).filter((event) => event.type === 'ready')).toEqual([ready, ready]);
  });

  it('keeps delivering the final event while the receiver fails, with backoff', async () => {
    harness.refuseNext('ready', 2, 503);
    const job = harness.jobFor('raw/short.mp4');
    await harness.post(job);
    const ready = await harness.waitForFinal(job.jobId, 30_000);
    expect(ready.type).toBe('ready');
    const attempts = harness.deliveries.filter((d) => d.event.jobId === job.jobId && d.event.type === 'ready');
    expect(attempts.map((d) => d.status)).toEqual([503, 503, 204]);
  });

  it('refuses a job that is not a valid TranscodeJob, saying what is wrong', async () => {
    const job = harness.jobFor('raw/short.mp4');
    const invalid = await harness.post({ ...job, output: { bucket: job.output.bucket, prefix: 'no-trailing-slash' }, jobId: 'not-a-uuid' });
    expect(invalid.status).toBe(400);
    const { error } = TranscoderError.parse(await invalid.json());
    expect(error.code).toBe('invalid_job');
    expect(error.message).toMatch(/jobId/);
    expect(error.message).toMatch(/prefix/);

    const notJson = await fetch(`${harness.transcoder.url}/jobs`, { method: 'POST', body: '{"v":1,' });
    expect(notJson.status).toBe(400);
    expect(TranscoderError.parse(await notJson.json()).error.code).toBe('invalid_job');

    // A chunk task is checked as strictly: a rendition name is a path segment of its storage keys.
    const task = { v: 1, jobId: job.jobId, source: job.source, output: job.output, storage: job.storage, video: { videoStream: 0, fps: 30 }, chunk: { index: 0, startSeconds: 0, endSeconds: 4, firstSegment: 0 }, last: true };
    const badTask = await fetch(`${harness.transcoder.url}/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...task, renditions: [{ name: '../../other-video', width: 640, height: 360, bitrate: 800_000 }] }),
    });
    expect(badTask.status).toBe(400);
    const refused = TranscoderError.parse(await badTask.json()).error;
    expect(refused.code).toBe('invalid_task');
    expect(refused.message).toMatch(/renditions/);
    // A chunk that ends before it starts (an inverted -ss/-to) is refused too.
    const inverted = await fetch(`${harness.transcoder.url}/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...task, renditions: [{ name: '360p', width: 640, height: 360, bitrate: 800_000 }], chunk: { index: 1, startSeconds: 8, endSeconds: 4, firstSegment: 2 } }),
    });
    expect(inverted.status).toBe(400);
    expect(TranscoderError.parse(await inverted.json()).error.message).toMatch(/ends after it starts/);
    expect(await readdir(harness.workDir)).toEqual([]);
    expect(await harness.keysUnder(job.output.prefix)).toEqual([]);
  });

  it('encodes a chunk task whose source is not a video into a clear failure line, storing nothing', async () => {
    await harness.put('raw/text.mp4', 'this is not a video');
    const job = harness.jobFor('raw/text.mp4');
    const task = { v: 1, jobId: job.jobId, source: job.source, output: job.output, storage: job.storage, video: { videoStream: 0, fps: 30 }, renditions: [{ name: '360p', width: 640, height: 360, bitrate: 800_000 }], chunk: { index: 0, startSeconds: 0, endSeconds: 4, firstSegment: 0 }, last: true };
    const answer = await fetch(`${harness.transcoder.url}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(task) });
    expect(answer.status).toBe(200);
    const lines = (await answer.text()).trim().split('\n').map((line) => TaskLine.parse(JSON.parse(line)));
    expect(lines.at(-1)).toMatchObject({ error: { code: 'transcode_failed', retryable: true } });
    const { message } = (lines.at(-1) as { error: { message: string } }).error;
    expect(message).toMatch(/ffmpeg: the source: Invalid data/);
    expect(message).not.toMatch(/X-Amz-Signature|127\.0\.0\.1/);
    expect(await harness.keysUnder(job.output.prefix)).toEqual([]);
    expect(await readdir(harness.workDir)).toEqual([]);
  });

  it('refuses a known jobId for another video, and answers 404 for unknown jobs', async () => {
    const job = harness.jobFor('raw/short.mp4');
    await harness.post(job);
    const conflict = await harness.post({ ...job, videoId: crypto.randomUUID() });
    expect(conflict.status).toBe(409);
    expect(TranscoderError.parse(await conflict.json()).error.code).toBe('job_conflict');
    await harness.waitForFinal(job.jobId);

    const unknown = crypto.randomUUID();
    const status = await fetch(jobUrl(unknown));
    expect(status.status).toBe(404);
    expect(TranscoderError.parse(await status.json()).error.code).toBe('job_not_found');
    expect((await fetch(jobUrl(unknown), { method: 'DELETE' })).status).toBe(404);
  });
});
