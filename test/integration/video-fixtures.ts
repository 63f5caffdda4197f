import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { call, eventually, type SignedIn } from './client.ts';

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
