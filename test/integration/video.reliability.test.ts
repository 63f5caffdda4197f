import { env } from 'cloudflare:workers';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lessons as lessonsTable, videos } from '../../db/schema.ts';
import type { StorageObjectEvent } from '../../workers/lib/contracts.ts';
import { SIGNATURE_HEADER, signEvent, TIMESTAMP_HEADER } from '../../contracts/transcoder.ts';
import { JOB_LEASE_SECONDS, MAX_ATTEMPTS } from '../../workers/media/pipeline.ts';
import { withDatabase } from './backing.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, eventually, signedInAs, type SignedIn } from './client.ts';
import { finished, sampleClip, uploadVideo, type VideoStatus } from './video-fixtures.ts';

/** What a crashed container leaves: the video `processing` a job the transcoder never heard of, its lease run out. */
function loseJob(videoId: string, attempts: number) {
  return withDatabase('us', (db) =>
    db
      .update(videos)
      .set({ status: 'processing', jobId: crypto.randomUUID(), attempts, leaseExpiresAt: sql`now() - interval '1 second'`, outputPrefix: null, masterKey: null })
      .where(eq(videos.id, videoId)),
  );
}

async function readyVideo(instructor: SignedIn) {
  const { course } = await publishedCourse(instructor, {}, 1);
  const videoId = await uploadVideo(instructor, course.id, await sampleClip());
  expect((await finished(instructor, videoId)).status).toBe('ready');
  return { course, videoId };
}

describe('video pipeline reliability', () => {
  it('runs a job again when its lease expires and the transcoder no longer knows it', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { videoId } = await readyVideo(instructor);
    await loseJob(videoId, 1);
    const rerun = await finished(instructor, videoId);
    expect(rerun).toMatchObject({ status: 'ready', attempts: 2 });
  });

  it('is followed by its coordinator alone, which runs the job again once a killed transcoder’s lease ends', { timeout: 180_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const videoId = await uploadVideo(instructor, course.id, await sampleClip('lecture'));
    // The transcoder's callbacks cannot reach the tests' api and no cron runs here: only the job's
    // coordinator (a Durable Object asking the transcoder every few seconds) moves the video on.
    const reaching = (what: string, timeoutMs: number, reached: (video: VideoStatus) => boolean) =>
      eventually(
        async () => {
          const { body } = await call<VideoStatus>(`/api/videos/${videoId}`, { token: instructor.accessToken });
          return reached(body) ? body : undefined;
        },
        timeoutMs,
        `video ${videoId} reaching ${what} through its coordinator`,
      );
    await reaching('playable', 90_000, (video) => video.status === 'playable');
    // Progress too (the check that finds it playable may write it a moment later).
    await reaching('progress', 15_000, (video) => video.status === 'playable' && video.percent > 0);
    const job = async () => (await withDatabase('us', (db) => db.select().from(videos).where(eq(videos.id, videoId))))[0];
    const killed = await job();
    // The coordinator keeps the plan: the lowest rung of every chunk, then the other rungs, chunks end to end; playable once the first two chunks' lowest rung is done.
    const state = await env.MEDIA.jobState({ jobId: killed?.jobId ?? '' });
    expect(state).toMatchObject({ videoId, jobId: killed?.jobId });
    const lowest = state?.parts.filter((part) => part.renditions.join() === '360p') ?? [];
    expect(lowest.map((part) => [part.startSeconds, part.endSeconds])).toEqual(lowest.map((part, i) => [lowest[i - 1]?.endSeconds ?? 0, part.endSeconds]));
    expect(lowest.at(-1)?.endSeconds).toBeCloseTo(40, 0);
    expect(lowest.slice(0, 2).map((part) => part.state)).toEqual(['done', 'done']);
    expect(state?.parts.filter((part) => part.renditions.join() === '720p,480p').map((part) => part.chunk)).toEqual(lowest.map((part) => part.chunk));
    // Renewed by each of the coordinator's checks.
    expect((killed?.leaseExpiresAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan((JOB_LEASE_SECONDS - 10) * 1000);
    // Killed while the other chunks are encoded; back at once, knowing nothing of the job.
    const drill = (action: string) => fetch(`${env.CONTROL_URL}/transcoder/${action}`, { method: 'POST' });
    expect((await drill('kill')).status).toBe(204);
    expect((await drill('restart')).status).toBe(204);
    const rerun = await reaching('ready', 150_000, (video) => video.status === 'ready');
    expect(rerun).toMatchObject({ status: 'ready', attempts: 2 });
    // The same job id, so the second run found the chunks the first had stored (test/transcoder/resume.test.ts counts them).
    expect((await job())?.jobId).toBe(killed?.jobId);
  });

  it('fails a job for good once its attempts are spent', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { videoId } = await readyVideo(instructor);
    await loseJob(videoId, MAX_ATTEMPTS);
    await env.MEDIA.sweepJobs();
    const { body } = await call<VideoStatus>(`/api/videos/${videoId}`, { token: instructor.accessToken });
    expect(body).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, error: { code: 'transcode_failed' } });
  });

  it('starts the same job from an R2 event notification when the client never called complete', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const clip = await sampleClip();
    const presigned = await call<{ videoId: string; upload: { url: string; headers: Record<string, string> } }>('/api/videos/upload', {
      token: instructor.accessToken,
      json: { courseId: course.id, filename: 'clip.mp4', sizeBytes: clip.byteLength, contentType: 'video/mp4' },
    });
    const put = await fetch(presigned.body.upload.url, { method: 'PUT', headers: presigned.body.upload.headers, body: clip });
    expect(put.status).toBe(200);
    const key = new URL(presigned.body.upload.url).pathname.split('/').slice(2).join('/');
    const notification: StorageObjectEvent = {
      account: 'local',
      action: 'PutObject',
      bucket: env.S3_BUCKET,
      object: { key, size: clip.byteLength, eTag: put.headers.get('etag') ?? '' },
      eventTime: new Date().toISOString(),
    };
    await put.arrayBuffer();
    // Delivered twice, as queues may: still one transcode.
    await env.VIDEO_JOBS.send(notification);
    await env.VIDEO_JOBS.send(notification);
    const ready = await finished(instructor, presigned.body.videoId);
    expect(ready).toMatchObject({ status: 'ready', attempts: 1 });
    await eventually(async () => {
      const notifications = await call<{ items: Array<{ type: string; data: { videoId?: string } }> }>('/api/notifications', { token: instructor.accessToken });
      return notifications.body.items.some((n) => n.type === 'video_ready' && n.data.videoId === presigned.body.videoId);
    }, 15_000, 'the uploader being notified');
  });

});

/** Makes the video `processing` a job of the test's own, and delivers that job's events as the transcoder would. */
async function fakeJob(videoId: string) {
  const jobId = crypto.randomUUID();
  await withDatabase('us', (db) =>
    db.update(videos).set({ status: 'processing', jobId, attempts: 1, progressPercent: 0, leaseExpiresAt: sql`now() + interval '1 minute'` }).where(eq(videos.id, videoId)),
  );
  return async (event: Record<string, unknown>) => {
    const body = JSON.stringify({ v: 1, jobId, videoId, attempt: 1, ...event });
    const now = Math.floor(Date.now() / 1000);
    const headers = { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(now), [SIGNATURE_HEADER]: await signEvent(env.TRANSCODER_CALLBACK_SECRET, now, body) };
    expect((await call('/api/videos/transcoder-events', { body, headers })).status).toBe(204);
  };
}

describe('transcoder callbacks', () => {
  it('records progress, then a final failure of the source without retrying it', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { videoId } = await readyVideo(instructor);
    const deliver = await fakeJob(videoId);
    await deliver({ type: 'progress', percent: 42 });
    expect((await call<VideoStatus>(`/api/videos/${videoId}`, { token: instructor.accessToken })).body).toMatchObject({ status: 'processing', percent: 42 });
    // A late callback carrying less (the coordinator's check got there first) does not take it back.
    await deliver({ type: 'progress', percent: 30 });
    expect((await call<VideoStatus>(`/api/videos/${videoId}`, { token: instructor.accessToken })).body).toMatchObject({ status: 'processing', percent: 42 });
    await deliver({ type: 'failed', error: { code: 'corrupt', message: 'The file ends in the middle of a frame.', retryable: false } });
    const { body } = await call<VideoStatus>(`/api/videos/${videoId}`, { token: instructor.accessToken });
    expect(body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'corrupt', message: 'The file ends in the middle of a frame.' } });
  });

  it('ignores a result outside the job’s own folder: the video never points at another video’s files', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { videoId } = await readyVideo(instructor);
    const { videoId: other } = await readyVideo(instructor);
    const deliver = await fakeJob(videoId);
    const elsewhere = { prefix: `media/${other}/${crypto.randomUUID()}/`, master: 'master.m3u8', durationSeconds: 3, width: 640, height: 360, renditions: [{ name: '360p', width: 640, height: 360, bandwidth: 800_000, codecs: 'avc1.64001e', playlist: '360p/index.m3u8' }] };
    await deliver({ type: 'playable', result: elsewhere });
    await deliver({ type: 'ready', result: { ...elsewhere, poster: 'poster.jpg', storyboard: { image: 'storyboard.jpg', vtt: 'storyboard.vtt' }, download: 'download.mp4' } });
    const [row] = await withDatabase('us', (db) => db.select().from(videos).where(eq(videos.id, videoId)));
    expect(row).toMatchObject({ status: 'processing' });
    expect(row?.outputPrefix).not.toContain(other);
  });

  it('puts a lesson back on its previous video while a replacement runs again, and when it fails', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessons } = await publishedCourse(instructor, {}, 1);
    const lessonId = lessons[0]!.id;
    const shown = async () => (await withDatabase('us', (db) => db.select({ videoId: lessonsTable.videoId }).from(lessonsTable).where(eq(lessonsTable.id, lessonId))))[0]?.videoId;
    const upload = async (filename: string) => {
      const videoId = await uploadVideo(instructor, course.id, await sampleClip(), filename, 'video/mp4', lessonId);
      expect((await finished(instructor, videoId)).status).toBe('ready');
      return videoId;
    };
    const first = await upload('first.mp4');
    const replacement = await upload('replacement.mp4');
    expect(await shown()).toBe(replacement);
    // Run again after a transient failure: the lesson plays the first video meanwhile, then the replacement once ready.
    const deliver = await fakeJob(replacement);
    await deliver({ type: 'failed', error: { code: 'storage_unavailable', message: 'Storage did not answer.', retryable: true } });
    expect(await shown()).toBe(first);
    expect((await finished(instructor, replacement)).status).toBe('ready');
    expect(await shown()).toBe(replacement);
    // Failed for good: the lesson is left as it was before the replacement.
    await (await fakeJob(replacement))({ type: 'failed', error: { code: 'corrupt', message: 'The file ends in the middle of a frame.', retryable: false } });
    expect(await shown()).toBe(first);
    const learner = await signedInAs('learner');
    expect((await call(`/api/courses/${course.id}/enrollment`, { method: 'POST', token: learner.accessToken })).status).toBeLessThan(300);
    const playback = await call<{ master: string }>(`/api/courses/${course.id}/video?lessonId=${lessonId}`, { token: learner.accessToken });
    expect(playback.status, JSON.stringify(playback.body)).toBe(200);
    expect(playback.body.master).toContain(`/${first}/`);
  });

  it('runs the job again after a transient failure (storage unreachable)', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { videoId } = await readyVideo(instructor);
    const deliver = await fakeJob(videoId);
    await deliver({ type: 'failed', error: { code: 'storage_unavailable', message: 'Storage did not answer.', retryable: true } });
    expect(await finished(instructor, videoId)).toMatchObject({ status: 'ready', attempts: 2, error: null });
  });
});
