import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { env, exports } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { videos } from '../../db/schema.ts';
import type { Playback } from '../../workers/api/videos/schemas.ts';
import { withDatabase } from './backing.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, eventually, signedInAs } from './client.ts';
import { finished, lessonWithReadyVideo, sampleClip, uploadVideo, usStorage, type VideoStatus } from './video-fixtures.ts';

const jobOf = async (videoId: string) => (await withDatabase('us', (db) => db.select({ jobId: videos.jobId }).from(videos).where(eq(videos.id, videoId))))[0]?.jobId;
/** The ffmpeg processes of a job on the local transcoders, found by the harness through /proc. */
const ffmpegsOf = async (jobId: string) => (await (await fetch(`${env.CONTROL_URL}/transcoder/ffmpeg/${jobId}`)).json()) as number[];
async function storedUnder(prefix: string): Promise<number> {
  const { s3, bucket } = usStorage();
  return (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).KeyCount ?? 0;
}

describe('cancelling a video’s processing', () => {
  it('stops every task of the job, gives the lesson back its ready video, removes what was published, and can run again', { timeout: 240_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessonId, original, lessonVideo } = await lessonWithReadyVideo(instructor);

    // A 40 s replacement, cancelled once learners can watch it while its other rungs are encoded.
    const lecture = await uploadVideo(instructor, course.id, await sampleClip('lecture'), 'lecture.mp4', 'video/mp4', lessonId);
    expect((await finished(instructor, lecture, 90_000, ['playable', 'ready', 'failed'])).status).toBe('playable');
    expect(await lessonVideo()).toBe(lecture);
    const jobId = (await jobOf(lecture)) ?? '';
    const prefix = `media/${lecture}/${jobId}/`;
    expect(await storedUnder(prefix)).toBeGreaterThan(0);
    // Its higher rungs are being encoded: the check below that they stop can fail.
    await eventually(async () => (await ffmpegsOf(jobId)).length > 0, 10_000, 'the job’s ffmpeg runs');
    const learner = await signedInAs('learner');
    expect((await call(`/api/courses/${course.id}/enrollment`, { method: 'POST', token: learner.accessToken })).status).toBeLessThan(300);
    const watching = await call<Playback>(`/api/videos/${lecture}/playback`, { token: learner.accessToken });
    expect(watching.body.status).toBe('playable');

    const cancelled = await call<VideoStatus>(`/api/videos/${lecture}/cancel`, { method: 'POST', token: instructor.accessToken });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ id: lecture, status: 'cancelled' });
    // In the same transaction: learners are back on the ready video, and the cancelled one plays no more.
    expect(await lessonVideo()).toBe(original);
    expect((await call(`/api/videos/${lecture}/playback`, { token: learner.accessToken })).body).toMatchObject({ error: { code: 'video_not_ready' } });
    expect((await call<Playback>(`/api/courses/${course.id}/video?lessonId=${lessonId}`, { token: learner.accessToken })).body.videoId).toBe(original);
    // Every ffmpeg of the job ends (the job's own and every chunk task's), its coordinator forgets it, and what it published goes.
    await eventually(async () => (await ffmpegsOf(jobId)).length === 0, 20_000, 'the job’s ffmpeg runs ending');
    await eventually(async () => (await env.MEDIA.jobState({ jobId })) === null, 20_000, 'the coordinator forgetting the job');
    await eventually(async () => (await storedUnder(prefix)) === 0, 20_000, 'the job’s outputs removed');
    const master = await exports.default.fetch(watching.body.master);
    expect(master.status).toBe(404);
    await master.body?.cancel();
    // It stays cancelled: the coordinator's and the sweep's checks change nothing, and nothing runs again.
    await env.MEDIA.sweepJobs();
    expect((await call<VideoStatus>(`/api/videos/${lecture}`, { token: instructor.accessToken })).body).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(await ffmpegsOf(jobId)).toEqual([]);

    // Cancelling twice is refused and changes nothing.
    const again = await call(`/api/videos/${lecture}/cancel`, { method: 'POST', token: instructor.accessToken });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'not_processing', status: 'cancelled' } });

    // Processed again from its stored source, as a new job: playable, shown in its lesson again, then ready.
    const retried = await call<VideoStatus>(`/api/videos/${lecture}/retry`, { method: 'POST', token: instructor.accessToken });
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', attempts: 0, error: null });
    // Retrying twice is refused: it runs already (queued, or claimed by now).
    const twice = await call(`/api/videos/${lecture}/retry`, { method: 'POST', token: instructor.accessToken });
    expect(twice.body).toMatchObject({ error: { code: 'not_retryable', status: expect.stringMatching(/^(queued|processing|playable)$/) } });
    const ready = await finished(instructor, lecture, 150_000);
    expect(ready).toMatchObject({ status: 'ready', attempts: 1 });
    expect(await jobOf(lecture)).not.toBe(jobId);
    expect(await lessonVideo()).toBe(lecture);
  });

  it('refuses what is not being processed, or not ended, and other people’s videos, changing nothing', { timeout: 120_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const videoId = await uploadVideo(instructor, course.id, await sampleClip());
    expect((await finished(instructor, videoId)).status).toBe('ready');
    const before = await call<VideoStatus>(`/api/videos/${videoId}`, { token: instructor.accessToken });

    const cancelReady = await call(`/api/videos/${videoId}/cancel`, { method: 'POST', token: instructor.accessToken });
    expect(cancelReady.status).toBe(409);
    expect(cancelReady.body).toMatchObject({ error: { code: 'not_processing', status: 'ready', message: expect.stringContaining('ready') } });
    const retryReady = await call(`/api/videos/${videoId}/retry`, { method: 'POST', token: instructor.accessToken });
    expect(retryReady.status).toBe(409);
    expect(retryReady.body).toMatchObject({ error: { code: 'not_retryable', status: 'ready' } });

    // A source that is not a video fails the same way again: it is not processed again, another file is needed.
    const notVideo = await uploadVideo(instructor, course.id, new TextEncoder().encode('these bytes are not a video'.repeat(40)).buffer as ArrayBuffer, 'notes.mp4');
    expect((await finished(instructor, notVideo)).error?.code).toBe('not_a_video');
    const retryNotVideo = await call(`/api/videos/${notVideo}/retry`, { method: 'POST', token: instructor.accessToken });
    expect(retryNotVideo.status).toBe(409);
    expect(retryNotVideo.body).toMatchObject({ error: { code: 'not_retryable', status: 'failed', message: expect.stringContaining('upload another file') } });
    expect((await call<VideoStatus>(`/api/videos/${notVideo}`, { token: instructor.accessToken })).body).toMatchObject({ status: 'failed', attempts: 1 });

    // An upload still in progress is cancelled with DELETE …/upload, not here.
    const pending = await call<{ videoId: string }>('/api/videos/upload', { token: instructor.accessToken, json: { courseId: course.id, filename: 'later.mp4', sizeBytes: 1_000, contentType: 'video/mp4' } });
    const cancelPending = await call(`/api/videos/${pending.body.videoId}/cancel`, { method: 'POST', token: instructor.accessToken });
    expect(cancelPending.body).toMatchObject({ error: { code: 'not_processing', status: 'awaiting_upload', message: expect.stringContaining('awaiting upload') } });

    const learner = await signedInAs('learner');
    const stranger = await signedInAs('instructor');
    for (const [who, token, status] of [['learner', learner.accessToken, 403], ['another instructor', stranger.accessToken, 403], ['anonymous', undefined, 401]] as const) {
      for (const action of ['cancel', 'retry']) {
        const refused = await call(`/api/videos/${videoId}/${action}`, { method: 'POST', token });
        expect(refused.status, `${who} ${action}`).toBe(status);
      }
    }
    for (const path of [`/api/videos/${crypto.randomUUID()}/cancel`, '/api/videos/not-a-uuid/cancel', `/api/videos/${videoId}%2f..%2fx/cancel`, `/api/videos/${videoId}%00/retry`, `/api/videos/%ff${videoId}/retry`]) {
      const refused = await call(path, { method: 'POST', token: instructor.accessToken });
      expect(refused.status, path).toBeGreaterThanOrEqual(400);
      expect(refused.status, path).toBeLessThan(500);
    }
    expect((await call<VideoStatus>(`/api/videos/${videoId}`, { token: instructor.accessToken })).body).toEqual(before.body);
  });

  it('stops a job whose cancel came before the job reached its transcoder: the coordinator’s next check finds the video cancelled', { timeout: 120_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const lecture = await uploadVideo(instructor, course.id, await sampleClip('lecture'), 'lecture.mp4');
    const jobId = await eventually(async () => {
      const { body } = await call<VideoStatus>(`/api/videos/${lecture}`, { token: instructor.accessToken });
      return body.status === 'processing' && (await jobOf(lecture));
    }, 60_000, 'the job starting');
    await eventually(async () => (await ffmpegsOf(jobId)).length > 0, 20_000, 'the job’s ffmpeg runs');
    // What a cancel leaves when its stop found no job yet: the row cancelled, the coordinator not told.
    await withDatabase('us', (db) => db.update(videos).set({ status: 'cancelled', leaseExpiresAt: null }).where(eq(videos.id, lecture)));
    await eventually(async () => (await ffmpegsOf(jobId)).length === 0, 30_000, 'the job’s ffmpeg runs ending');
    await eventually(async () => (await env.MEDIA.jobState({ jobId })) === null, 20_000, 'the coordinator forgetting the job');
    await eventually(async () => (await storedUnder(`media/${lecture}/${jobId}/`)) === 0, 20_000, 'the job’s outputs removed');
    expect((await call<VideoStatus>(`/api/videos/${lecture}`, { token: instructor.accessToken })).body.status).toBe('cancelled');
  });
});
