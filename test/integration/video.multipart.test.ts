import { describe, expect, it } from 'vitest';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, signedInAs } from './client.ts';
import { finished, sampleClip, type VideoStatus } from './video-fixtures.ts';

interface MultipartTarget {
  videoId: string;
  upload: { mode: string; partSize: number; partCount: number };
}

describe('multipart uploads', () => {
  it('uploads parts to presigned URLs, lists them to resume, completes and transcodes', { timeout: 120_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const clip = await sampleClip();
    const presigned = await call<MultipartTarget>('/api/videos/upload', {
      token: instructor.accessToken,
      json: { courseId: course.id, filename: 'clip.mp4', sizeBytes: clip.byteLength, contentType: 'video/mp4', multipart: true },
    });
    expect(presigned.status, JSON.stringify(presigned.body)).toBe(201);
    expect(presigned.body.upload).toMatchObject({ mode: 'multipart', partCount: 1 });
    const { videoId } = presigned.body;

    const urls = await call<{ parts: Array<{ partNumber: number; url: string }> }>(`/api/videos/${videoId}/parts`, { token: instructor.accessToken, json: { partNumbers: [1] } });
    expect(urls.status).toBe(200);
    const put = await fetch(urls.body.parts[0]?.url ?? '', { method: 'PUT', body: clip });
    expect(put.status).toBe(200);
    const etag = put.headers.get('etag');
    await put.arrayBuffer();

    // After a page reload the SPA asks storage what it already has.
    const listed = await call<{ parts: Array<{ partNumber: number; etag: string; size: number }> }>(`/api/videos/${videoId}/parts`, { token: instructor.accessToken });
    expect(listed.body.parts).toEqual([{ partNumber: 1, etag, size: clip.byteLength }]);

    const completed = await call<VideoStatus>(`/api/videos/${videoId}/complete`, { token: instructor.accessToken, json: { parts: listed.body.parts } });
    expect(completed.status, JSON.stringify(completed.body)).toBe(202);
    expect(completed.body.status).toBe('queued');
    // Completing again queues nothing more.
    expect((await call<VideoStatus>(`/api/videos/${videoId}/complete`, { token: instructor.accessToken, json: {} })).status).toBe(202);
    expect(await finished(instructor, videoId)).toMatchObject({ status: 'ready', attempts: 1 });
  });

  it('aborts an upload in progress', async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor, {}, 1);
    const presigned = await call<MultipartTarget>('/api/videos/upload', {
      token: instructor.accessToken,
      json: { courseId: course.id, filename: 'big.mov', sizeBytes: 300 * 1024 ** 2, contentType: 'video/quicktime' },
    });
    expect(presigned.body.upload).toMatchObject({ mode: 'multipart', partSize: 16 * 1024 ** 2, partCount: 19 });
    const { videoId } = presigned.body;
    const urls = await call<{ parts: Array<{ url: string }> }>(`/api/videos/${videoId}/parts`, { token: instructor.accessToken, json: { partNumbers: [1] } });
    const put = await fetch(urls.body.parts[0]?.url ?? '', { method: 'PUT', body: new Uint8Array(1024) });
    await put.arrayBuffer();
    expect((await call(`/api/videos/${videoId}/upload`, { method: 'DELETE', token: instructor.accessToken })).status).toBe(204);
    expect((await call(`/api/videos/${videoId}`, { token: instructor.accessToken })).status).toBe(404);
  });
});
