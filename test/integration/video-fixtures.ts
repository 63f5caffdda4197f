import { PutObjectCommand } from '@aws-sdk/client-s3';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { videos } from '../../db/schema.ts';
import type { CourseDetail } from '../../workers/api/catalog/schemas.ts';
import { readConfig, StorageSettings } from '../../workers/lib/config.ts';
import { openStorage } from '../../workers/lib/storage.ts';
import { withDatabase } from './backing.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, eventually, type SignedIn } from './client.ts';

export const usStorage = () => openStorage(readConfig(StorageSettings, { ...env }));

export interface VideoStatus {
  id: string;
  status: string;
  percent: number;
  attempts: number;
  error: { code: string; message: string } | null;
  renditions: Array<{ name: string; width: number; height: number }> | null;
}

/** A clip the global setup makes with ffmpeg (testsrc2 + sine): `sample` 3 s 640x360, `lecture` 40 s 1280x720. */
export async function sampleClip(name: 'sample' | 'lecture' = 'sample'): Promise<ArrayBuffer> {
  const response = await fetch(`${env.CONTROL_URL}/clips/${name}.mp4`);
  expect(response.status).toBe(200);
  return response.arrayBuffer();
}

/** Presign, PUT the bytes straight to storage, complete: the way the SPA uploads a small file. */
export async function uploadVideo(instructor: SignedIn, courseId: string, bytes: ArrayBuffer, filename = 'clip.mp4', contentType = 'video/mp4', lessonId?: string) {
  const presigned = await call<{ videoId: string; upload: { mode: string; url: string; headers: Record<string, string> } }>('/api/videos/upload', {
    token: instructor.accessToken,
    json: { courseId, lessonId, filename, sizeBytes: bytes.byteLength, contentType },
  });
  expect(presigned.status, JSON.stringify(presigned.body)).toBe(201);
  expect(presigned.body.upload.mode).toBe('single');
  const put = await fetch(presigned.body.upload.url, { method: 'PUT', headers: presigned.body.upload.headers, body: bytes });
  expect(put.status, await put.text()).toBe(200);
  const completed = await call<VideoStatus>(`/api/videos/${presigned.body.videoId}/complete`, { token: instructor.accessToken, json: {} });
  expect(completed.status, JSON.stringify(completed.body)).toBe(202);
  return presigned.body.videoId;
}

/**
 * Waits for the transcode to end. The tests' api is not reachable over HTTP from the transcoder
 * process, so its callbacks cannot arrive: the job's coordinator collects the result from the
 * transcoder's `GET /jobs/:id` every 5 s, and the sweep (the cron's work) run here collects it sooner.
 */
export async function finished(instructor: SignedIn, videoId: string, timeoutMs = 90_000, until: string[] = ['ready', 'failed']): Promise<VideoStatus> {
  return eventually(
    async () => {
      await env.MEDIA.sweepJobs();
      const { body } = await call<VideoStatus>(`/api/videos/${videoId}`, { token: instructor.accessToken });
      return until.includes(body.status) ? body : undefined;
    },
    timeoutMs,
    `video ${videoId} reaching ${until.join(' or ')}`,
  );
}

/** A published course whose first lesson shows a ready video, for a replacement to replace; `lessonVideo` reads what the lesson shows. */
export async function lessonWithReadyVideo(instructor: SignedIn) {
  const { course, lessons: [first] } = await publishedCourse(instructor);
  const lessonId = first?.id ?? '';
  const original = await uploadVideo(instructor, course.id, await sampleClip(), 'first.mp4', 'video/mp4', lessonId);
  expect((await finished(instructor, original)).status).toBe('ready');
  const lessonVideo = async () => (await call<CourseDetail>(`/api/courses/${course.id}`)).body.lessons[0]?.videoId;
  expect(await lessonVideo()).toBe(original);
  return { course, lessonId, original, lessonVideo };
}

/**
 * A us course (a draft) with one preview lesson whose video the pipeline has finished, 10 s long,
 * without a transcode: its master playlist (one variant) and a segment are in us storage.
 */
export async function courseWithReadyVideo(instructor: SignedIn, fields: Record<string, unknown> = {}) {
  const created = await call<CourseDetail>('/api/courses', { token: instructor.accessToken, json: { title: `Replicated ${crypto.randomUUID().slice(0, 6)}`, language: 'ar', ...fields } });
  const id = created.body.id;
  const videoId = crypto.randomUUID();
  const prefix = `media/${videoId}/${crypto.randomUUID()}/`;
  const us = usStorage();
  const playlist = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=1280x720\n720p/index.m3u8\n';
  await us.s3.send(new PutObjectCommand({ Bucket: us.bucket, Key: `${prefix}master.m3u8`, Body: playlist, ContentType: 'application/vnd.apple.mpegurl' }));
  await us.s3.send(new PutObjectCommand({ Bucket: us.bucket, Key: `${prefix}720p/init.mp4`, Body: new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112]) }));
  // A video the pipeline finished, as the media Worker records it.
  await withDatabase('us', (db) =>
    db.insert(videos).values({
      id: videoId, courseId: id, originJurisdiction: 'us', uploaderId: instructor.user.id, status: 'ready', filename: 'intro.mp4', contentType: 'video/mp4', sizeBytes: 1_000,
      sourceKey: `raw/${videoId}/intro.mp4`, progressPercent: 100, outputPrefix: prefix, masterKey: `${prefix}master.m3u8`, posterKey: `${prefix}poster.jpg`,
      storyboardImageKey: `${prefix}storyboard.jpg`, storyboardVttKey: `${prefix}storyboard.vtt`, downloadKey: `${prefix}download.mp4`, durationSeconds: 10, width: 1280, height: 720, renditions: [],
    }),
  );
  const lesson = await call<{ id: string }>(`/api/courses/${id}/lessons`, { token: instructor.accessToken, json: { title: 'With a video', videoId, isPreview: true } });
  return { id, title: created.body.title, videoId, lessonId: lesson.body.id, prefix, playlist };
}
