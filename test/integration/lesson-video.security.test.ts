import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lessons, videos } from '../../db/schema.ts';
import type { CourseDetail } from '../../workers/api/catalog/schemas.ts';
import { withDatabase } from './backing.ts';
import { publishedCourse, unique } from './catalog-fixtures.ts';
import { call, eventually, signedInAs, type SignedIn } from './client.ts';
import { finished, sampleClip } from './video-fixtures.ts';

/** Starts an upload for a course (and lesson): the video row exists from here on, awaiting its bytes. */
async function presign(instructor: SignedIn, courseId: string, lessonId?: string) {
  const answer = await call<{ videoId: string; upload: { url: string; headers: Record<string, string> } }>('/api/videos/upload', {
    token: instructor.accessToken,
    json: { courseId, lessonId, filename: 'clip.mp4', sizeBytes: 1_000, contentType: 'video/mp4' },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body;
}

async function draftCourse(instructor: SignedIn) {
  const created = await call<CourseDetail>('/api/courses', { token: instructor.accessToken, json: { title: `Draft ${unique()}` } });
  expect(created.status).toBe(201);
  return created.body;
}

const redis = (action: 'kill' | 'restart') => fetch(`${env.CONTROL_URL}/redis/us/${action}`, { method: 'POST' });
const lessonRow = (id: string) => withDatabase('us', async (db) => (await db.select().from(lessons).where(eq(lessons.id, id)))[0]);
const lessonVideo = async (instructor: SignedIn, courseId: string, lessonId: string) =>
  (await call<CourseDetail>(`/api/courses/${courseId}`, { token: instructor.accessToken })).body.lessons.find((lesson) => lesson.id === lessonId)?.videoId;

describe('a lesson shows only a video uploaded for its own course', () => {
  it("refuses another instructor's private video, and changes nothing", async () => {
    const a = await signedInAs('instructor');
    const b = await signedInAs('instructor');
    const { videoId: private_ } = await presign(a, (await draftCourse(a)).id);
    const { course, lessons: [preview] } = await publishedCourse(b);
    const before = await lessonRow(preview!.id);

    const patched = await call(`/api/courses/${course.id}/lessons/${preview!.id}`, { method: 'PATCH', token: b.accessToken, json: { videoId: private_ } });
    expect(patched.status).toBe(400);
    expect(patched.body).toMatchObject({ error: { code: 'invalid_video', field: 'videoId', message: expect.any(String) } });
    expect(await lessonRow(preview!.id)).toEqual(before);

    const added = await call(`/api/courses/${course.id}/lessons`, { token: b.accessToken, json: { title: 'Borrowed', videoId: private_, isPreview: true } });
    expect(added.status).toBe(400);
    expect(added.body).toMatchObject({ error: { code: 'invalid_video', field: 'videoId' } });
    expect((await call<CourseDetail>(`/api/courses/${course.id}`)).body.lessons).toHaveLength(2);
  });

  it("refuses a video of the instructor's other course, accepts one uploaded for this course", async () => {
    const instructor = await signedInAs('instructor');
    const { videoId: elsewhere } = await presign(instructor, (await draftCourse(instructor)).id);
    const { course, lessons: [first] } = await publishedCourse(instructor);
    const path = `/api/courses/${course.id}/lessons/${first!.id}`;

    const refused = await call(path, { method: 'PATCH', token: instructor.accessToken, json: { videoId: elsewhere } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'invalid_video', field: 'videoId' } });
    expect((await lessonRow(first!.id))?.videoId).toBeNull();

    const { videoId: own } = await presign(instructor, course.id);
    const accepted = await call(path, { method: 'PATCH', token: instructor.accessToken, json: { videoId: own } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(await lessonVideo(instructor, course.id, first!.id)).toBe(own);
  });

  it('attaches an upload for an empty lesson at once, on the server; a second upload waits until it is ready', async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessons: [first] } = await publishedCourse(instructor);
    const { videoId } = await presign(instructor, course.id, first!.id);
    expect(await lessonVideo(instructor, course.id, first!.id)).toBe(videoId);
    await presign(instructor, course.id, first!.id);
    expect(await lessonVideo(instructor, course.id, first!.id)).toBe(videoId);
  });

  it('cancelling an upload its lesson shows empties the lesson, and the cached course page says so', async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessons: [first] } = await publishedCourse(instructor);
    const { videoId } = await presign(instructor, course.id, first!.id);
    const cached = async () => (await call<CourseDetail>(`/api/courses/${course.id}`)).body.lessons[0]?.videoId;
    expect(await cached()).toBe(videoId);
    expect(await cached()).toBe(videoId);
    expect((await call(`/api/videos/${videoId}/upload`, { method: 'DELETE', token: instructor.accessToken })).status).toBe(204);
    expect((await lessonRow(first!.id))?.videoId).toBeNull();
    const after = await call<CourseDetail>(`/api/courses/${course.id}`);
    expect(after.headers.get('x-cache')).toBe('miss');
    expect(after.body.lessons[0]?.videoId).toBeNull();
  });

  it('refuses an upload for a lesson while the catalog cannot be bumped, and leaves no video behind', async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessons: [first] } = await publishedCourse(instructor);
    const videosOf = () => withDatabase('us', (db) => db.$count(videos, eq(videos.courseId, course.id)));
    await redis('kill');
    try {
      const refused = await call('/api/videos/upload', {
        token: instructor.accessToken,
        json: { courseId: course.id, lessonId: first!.id, filename: 'clip.mp4', sizeBytes: 1_000, contentType: 'video/mp4' },
      });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error: { code: 'cache_unavailable', message: expect.stringContaining('nothing was changed') } });
    } finally {
      await redis('restart');
    }
    expect(await videosOf()).toBe(0);
    expect((await lessonRow(first!.id))?.videoId).toBeNull();
  });

  it('a replacement that becomes ready replaces the lesson video: catalog and replicas show it', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessons: [first] } = await publishedCourse(instructor);
    const { videoId: old } = await presign(instructor, course.id, first!.id);
    // Cached now: the ready video must bump the catalog generation to show.
    expect((await call<CourseDetail>(`/api/courses/${course.id}`)).body.lessons[0]?.videoId).toBe(old);

    const clip = await sampleClip();
    const upload = await call<{ videoId: string; upload: { url: string; headers: Record<string, string> } }>('/api/videos/upload', {
      token: instructor.accessToken,
      json: { courseId: course.id, lessonId: first!.id, filename: 'clip.mp4', sizeBytes: clip.byteLength, contentType: 'video/mp4' },
    });
    expect(upload.status).toBe(201);
    const replacement = upload.body.videoId;
    expect((await fetch(upload.body.upload.url, { method: 'PUT', headers: upload.body.upload.headers, body: clip })).status).toBe(200);
    expect((await call(`/api/videos/${replacement}/complete`, { token: instructor.accessToken, json: {} })).status).toBe(202);
    expect(await lessonVideo(instructor, course.id, first!.id)).toBe(old);

    expect((await finished(instructor, replacement)).status).toBe('ready');
    const shown = await call<CourseDetail>(`/api/courses/${course.id}`);
    expect(shown.body.lessons[0]?.videoId).toBe(replacement);
    expect(shown.headers.get('x-cache')).toBe('miss');
    await eventually(
      async () => (await call<CourseDetail>(`/api/courses/${course.id}`, { jurisdiction: 'sa' })).body.lessons?.[0]?.videoId === replacement,
      20_000,
      'the ready video reaching sa',
    );
  });
});
