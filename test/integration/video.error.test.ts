import { PutObjectCommand } from '@aws-sdk/client-s3';
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { videos } from '../../db/schema.ts';
import { openStorage } from '../../workers/lib/storage.ts';
import { withDatabase } from './backing.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, eventually, signedInAs } from './client.ts';
import { finished, uploadVideo } from './video-fixtures.ts';

describe('video uploads that are refused or fail', () => {
  it('refuses too large a file and anything but a video type at presign time', async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const presign = (fields: Record<string, unknown>) =>
      call('/api/videos/upload', { token: instructor.accessToken, json: { courseId: course.id, filename: 'talk.mp4', sizeBytes: 1_000, contentType: 'video/mp4', ...fields } });
    expect((await presign({ sizeBytes: 6 * 1024 ** 3 })).body).toMatchObject({ error: { code: 'video_too_large' } });
    const text = await presign({ contentType: 'text/plain' });
    expect(text.status).toBe(400);
    expect(text.body).toMatchObject({ error: { code: 'invalid_request', fields: [{ field: 'contentType' }] } });
    expect((await presign({ sizeBytes: 0 })).status).toBe(400);
    // Names an object's own prototype keys: not video types.
    for (const contentType of ['__proto__', 'constructor', 'valueOf', 'toString']) {
      expect((await presign({ contentType })).body, contentType).toMatchObject({ error: { code: 'invalid_request', fields: [{ field: 'contentType' }] } });
    }
    for (const filename of ['talk\u0000.mp4', 'a\nb.mp4', '\u007f.mp4', 'lecture\u202Ecod.mp4']) {
      expect((await presign({ filename })).body, JSON.stringify(filename)).toMatchObject({ error: { code: 'invalid_request', fields: [{ field: 'filename' }] } });
    }
    expect(await withDatabase('us', (db) => db.$count(videos, eq(videos.courseId, course.id)))).toBe(0);
  });

  it('signs and joins only the parts the announced size has', async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const presigned = await call<{ videoId: string; upload: { partCount: number } }>('/api/videos/upload', {
      token: instructor.accessToken,
      json: { courseId: course.id, filename: 'talk.mp4', sizeBytes: 1_000, contentType: 'video/mp4', multipart: true },
    });
    expect(presigned.body.upload.partCount).toBe(1);
    const parts = `/api/videos/${presigned.body.videoId}/parts`;
    const beyond = await call(parts, { token: instructor.accessToken, json: { partNumbers: [1, 9_999, 10_000] } });
    expect(beyond.status).toBe(400);
    expect(beyond.body).toMatchObject({ error: { code: 'invalid_part_number', field: 'partNumbers' } });
    expect((await call(parts, { token: instructor.accessToken, json: { partNumbers: [1, 1] } })).body).toMatchObject({ error: { code: 'invalid_part_number' } });
    const signed = await call<{ parts: Array<{ partNumber: number; url: string }> }>(parts, { token: instructor.accessToken, json: { partNumbers: [1] } });
    expect(signed.body.parts.map((part) => part.partNumber)).toEqual([1]);
    const complete = (json: unknown) => call(`/api/videos/${presigned.body.videoId}/complete`, { token: instructor.accessToken, json });
    expect((await complete({ parts: [{ partNumber: 2, etag: '"x"' }] })).body).toMatchObject({ error: { code: 'invalid_part_number', field: 'parts' } });
    // Parts storage never received: the caller's mistake, not a 500.
    const bogus = await complete({ parts: [{ partNumber: 1, etag: '"0123456789abcdef0123456789abcdef"' }] });
    expect(bogus.status).toBe(400);
    expect(bogus.body).toMatchObject({ error: { code: 'invalid_parts', field: 'parts' } });
    expect((await call<{ status: string }>(`/api/videos/${presigned.body.videoId}`, { token: instructor.accessToken })).body.status).toBe('awaiting_upload');
  });

  it('refuses to complete an upload that never reached storage, or reached it with another size', async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const presigned = await call<{ videoId: string; upload: { url: string; headers: Record<string, string> } }>('/api/videos/upload', {
      token: instructor.accessToken,
      json: { courseId: course.id, filename: 'talk.mp4', sizeBytes: 2_000, contentType: 'video/mp4' },
    });
    const complete = () => call(`/api/videos/${presigned.body.videoId}/complete`, { token: instructor.accessToken, json: {} });
    expect((await complete()).body).toMatchObject({ error: { code: 'upload_missing' } });
    // The signature covers the type and length (R2 and S3 refuse another; s3rver does not check).
    expect(new URL(presigned.body.upload.url).searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(expect.arrayContaining(['content-length', 'content-type']));
    // A file of another size in its place (the local S3 does not check signed lengths; R2 refuses the PUT).
    const storage = openStorage(env);
    await storage.s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: `raw/${presigned.body.videoId}/source.mp4`, Body: new Uint8Array(1_000) }));
    expect((await complete()).body).toMatchObject({ error: { code: 'upload_size_mismatch' } });
    const aborted = await call(`/api/videos/${presigned.body.videoId}/upload`, { method: 'DELETE', token: instructor.accessToken });
    expect(aborted.status).toBe(204);
    expect((await call(`/api/videos/${presigned.body.videoId}`, { token: instructor.accessToken })).status).toBe(404);
  });

  it('fails a text file named .mp4 with a clear reason, without retrying it', { timeout: 120_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const notAVideo = await new Blob(['These are lecture notes, not a video.\n'.repeat(200)]).arrayBuffer();
    const videoId = await uploadVideo(instructor, course.id, notAVideo, 'notes.mp4');
    const failed = await finished(instructor, videoId);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'not_a_video' } });
    expect(failed.error?.message.length).toBeGreaterThan(10);
    expect((await call(`/api/videos/${videoId}/playback`, { token: instructor.accessToken })).body).toMatchObject({ error: { code: 'video_not_ready' } });
    await eventually(async () => {
      const notifications = await call<{ items: Array<{ type: string; data: { videoId?: string } }> }>('/api/notifications', { token: instructor.accessToken });
      return notifications.body.items.some((n) => n.type === 'video_failed' && n.data.videoId === videoId);
    }, 15_000, 'the uploader being notified');
  });
});
