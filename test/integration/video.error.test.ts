import { describe, expect, it } from 'vitest';
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
    const wrongSize = await fetch(presigned.body.upload.url, { method: 'PUT', headers: presigned.body.upload.headers, body: new Uint8Array(1_000) });
    await wrongSize.arrayBuffer();
    if (wrongSize.ok) expect((await complete()).body).toMatchObject({ error: { code: 'upload_size_mismatch' } });
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
