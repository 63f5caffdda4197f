import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signEvent, TIMESTAMP_HEADER } from '../../contracts/transcoder.ts';
import { signMediaToken } from '../../workers/api/videos/media-tokens.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, signedInAs, type SignedIn } from './client.ts';
import { finished, sampleClip, uploadVideo } from './video-fixtures.ts';

describe('video security', () => {
  let instructor: SignedIn;
  let course: Awaited<ReturnType<typeof publishedCourse>>;
  let videoId: string;
  let master: string;

  beforeAll(async () => {
    instructor = await signedInAs('instructor');
    course = await publishedCourse(instructor);
    videoId = await uploadVideo(instructor, course.course.id, await sampleClip());
    expect((await finished(instructor, videoId)).status).toBe('ready');
    // The second lesson is not a preview: only enrolled learners may watch it.
    await call(`/api/courses/${course.course.id}/lessons/${course.lessons[1]?.id}`, { method: 'PATCH', token: instructor.accessToken, json: { videoId } });
    const playback = await call<{ master: string }>(`/api/videos/${videoId}/playback`, { token: instructor.accessToken });
    expect(playback.status).toBe(200);
    master = playback.body.master;
  }, 150_000);

  it('refuses playback to a learner who is not enrolled, and to anonymous callers', async () => {
    const learner = await signedInAs('learner');
    expect((await call(`/api/videos/${videoId}/playback`, { token: learner.accessToken })).body).toMatchObject({ error: { code: 'forbidden' } });
    expect((await call(`/api/courses/${course.course.id}/video`, { token: learner.accessToken })).status).toBe(403);
    expect((await call(`/api/videos/${videoId}/playback`)).status).toBe(401);
    // Nor may a learner see the upload's status.
    expect((await call(`/api/videos/${videoId}`, { token: learner.accessToken })).status).toBe(403);
  });

  it('lets anyone watch the video of a preview lesson of a published course', async () => {
    await call(`/api/courses/${course.course.id}/lessons/${course.lessons[0]?.id}`, { method: 'PATCH', token: instructor.accessToken, json: { videoId } });
    const anonymous = await call<{ master: string }>(`/api/courses/${course.course.id}/video?lessonId=${course.lessons[0]?.id}`);
    expect(anonymous.status, JSON.stringify(anonymous.body)).toBe(200);
    await call(`/api/courses/${course.course.id}/lessons/${course.lessons[0]?.id}`, { method: 'PATCH', token: instructor.accessToken, json: { videoId: null } });
  });

  it('refuses a tampered, foreign or expired media token', async () => {
    expect((await exports.default.fetch(master)).status).toBe(200);
    const url = new URL(master);
    const [, , token = '', , jobId = '', ...rest] = url.pathname.split('/');
    const flipped = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
    const tampered = master.replace(token, flipped);
    expect((await exports.default.fetch(tampered)).status).toBe(403);
    const soon = Math.floor(Date.now() / 1000) + 600;
    // A valid token of another video does not open this one, nor one of another job of this video.
    const foreign = `${url.origin}/media/${await signMediaToken(env.JWT_SECRET, crypto.randomUUID(), jobId, soon)}/${videoId}/${jobId}/${rest.join('/')}`;
    expect((await exports.default.fetch(foreign)).status).toBe(403);
    const otherJob = crypto.randomUUID();
    expect((await exports.default.fetch(`${url.origin}/media/${token}/${videoId}/${otherJob}/${rest.join('/')}`)).status).toBe(403);
    const expired = master.replace(token, await signMediaToken(env.JWT_SECRET, videoId, jobId, Math.floor(Date.now() / 1000) - 1));
    const answer = await exports.default.fetch(expired);
    expect(answer.status).toBe(403);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await answer.json()).toMatchObject({ error: { code: 'invalid_media_token' } });
  });

  it('serves nothing but the token’s own published files, however the path is encoded', async () => {
    const url = new URL(master);
    const [, , token = '', , jobId = ''] = url.pathname.split('/');
    const base = `${url.origin}/media/${token}/${videoId}/${jobId}`;
    const raw = `raw%2f${videoId}%2fsource.mp4`;
    const hostile = [
      `..%2f..%2f..%2f`,
      `..%2f..%2f..%2fkce-sa%2f`,
      `..%2f..%2f${raw}`,
      `..%2F..%2F${raw.replaceAll('%2f', '%2F')}`,
      `..%252f..%252f${raw}`,
      `..%5c..%5c${raw.replaceAll('%2f', '%5c')}`,
      `master.m3u8%00`,
      `%00`,
      `%ff`,
      `%E0%A4%A`,
      `%c0%ae%c0%ae%c0%af${raw}`,
      `..%2f${crypto.randomUUID()}%2f${jobId}%2fmaster.m3u8`,
    ];
    for (const path of hostile) {
      const answer = await exports.default.fetch(`${base}/${path}`);
      expect(answer.status, path).toBe(400);
      expect(answer.headers.get('cache-control'), path).toBe('no-store');
      expect(await answer.json(), path).toMatchObject({ error: { code: 'invalid_media_path' } });
    }
    // The review's request: the traversal in the job's place, with no file after it.
    const listing = await exports.default.fetch(`${url.origin}/media/${token}/${videoId}/..%2f..%2f..%2f`);
    expect([400, 404]).toContain(listing.status);
    expect(await listing.text()).not.toContain('ListBucketResult');
    // A file of the job that does not exist is a plain 404, never cached.
    const missing = await exports.default.fetch(`${base}/nothing.m4s`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
  });

  it('does not let another instructor presign an upload into the course', async () => {
    const other = await signedInAs('instructor');
    const answer = await call('/api/videos/upload', { token: other.accessToken, json: { courseId: course.course.id, filename: 'x.mp4', sizeBytes: 1000, contentType: 'video/mp4' } });
    expect(answer.status).toBe(403);
    const learner = await signedInAs('learner');
    expect((await call('/api/videos/upload', { token: learner.accessToken, json: { courseId: course.course.id, filename: 'x.mp4', sizeBytes: 1000, contentType: 'video/mp4' } })).status).toBe(403);
    expect((await call(`/api/videos/${videoId}/complete`, { token: other.accessToken, json: {} })).status).toBe(403);
  });

  it('accepts transcoder callbacks only with a fresh signature of the shared key', async () => {
    const event = JSON.stringify({ v: 1, type: 'progress', jobId: crypto.randomUUID(), videoId, attempt: 1, percent: 50 });
    const post = (headers: Record<string, string>) =>
      call('/api/videos/transcoder-events', { body: event, headers: { 'content-type': 'application/json', ...headers } });
    const now = Math.floor(Date.now() / 1000);
    expect((await post({})).status).toBe(401);
    expect((await post({ [TIMESTAMP_HEADER]: String(now), [SIGNATURE_HEADER]: await signEvent('not-the-key-'.repeat(4), now, event) })).status).toBe(401);
    const stale = now - 3_600;
    expect((await post({ [TIMESTAMP_HEADER]: String(stale), [SIGNATURE_HEADER]: await signEvent(env.TRANSCODER_CALLBACK_SECRET, stale, event) })).status).toBe(401);
    // Signed, but for a job that is not the video's current one: accepted and ignored.
    expect((await post({ [TIMESTAMP_HEADER]: String(now), [SIGNATURE_HEADER]: await signEvent(env.TRANSCODER_CALLBACK_SECRET, now, event) })).status).toBe(204);
    expect((await call(`/api/videos/${videoId}`, { token: instructor.accessToken })).body).toMatchObject({ status: 'ready', percent: 100 });
  });
});
