import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { startTranscode, type Pipeline } from '../../workers/media/pipeline.ts';
import { backing, withDatabase } from './backing.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { signMediaToken } from '../../workers/api/videos/media-tokens.ts';
import { call, eventually, signedInAs } from './client.ts';
import { finished, sampleClip, uploadVideo, type VideoStatus } from './video-fixtures.ts';

interface Playback {
  master: string;
  poster: string;
  storyboard: { image: string; vtt: string };
  download: string | null;
}

const media = (url: string, headers?: Record<string, string>) => exports.default.fetch(url, { headers });

/** The URIs a playlist names (tags' URI="..." attributes and plain lines), resolved against it. */
function uris(playlist: string, base: string): string[] {
  const found = playlist.split('\n').flatMap((line) => {
    if (line.startsWith('#')) return [...line.matchAll(/URI="([^"]+)"/g)].map((m) => m[1] ?? '');
    return line.trim() ? [line.trim()] : [];
  });
  return found.map((uri) => new URL(uri, base).href);
}

describe('video pipeline, end to end', () => {
  it('uploads straight to storage, transcodes once, and plays through signed media URLs', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessons } = await publishedCourse(instructor);
    const videoId = await uploadVideo(instructor, course.id, await sampleClip());

    const ready = await finished(instructor, videoId);
    expect(ready.status, JSON.stringify(ready.error)).toBe('ready');
    expect(ready.percent).toBe(100);
    expect(ready.attempts).toBe(1);
    // A 640x360 source is never upscaled.
    expect(ready.renditions?.map((r) => r.name)).toEqual(['360p']);

    // The job's message handled again (the queue's redelivery, or R2's own event) changes nothing:
    // the claim finds the video ready and no second job reaches the transcoder.
    const posted: string[] = [];
    const pipeline = (db: Pipeline['db']): Pipeline => ({
      db,
      cache: backing('us').cache(),
      jurisdiction: 'us',
      contentSync: [],
      transcoder: async (path) => {
        posted.push(path);
        return new Response(null, { status: 503 });
      },
      coordinate: async ({ jobId }) => void posted.push(`coordinate ${jobId}`),
      stop: async ({ jobId }) => void posted.push(`stop ${jobId}`),
      storage: { endpoint: env.S3_ENDPOINT, region: env.S3_REGION, bucket: env.S3_BUCKET, accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
      callbackUrl: 'http://127.0.0.1/unused',
      videoJobs: env.VIDEO_JOBS,
      notifications: env.NOTIFICATIONS,
    });
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    await withDatabase('us', (db) => startTranscode(pipeline(db), videoId, traceparent));
    await withDatabase('us', (db) => startTranscode(pipeline(db), videoId, traceparent, true));
    expect(posted).toEqual([]);
    const again = await call<VideoStatus>(`/api/videos/${videoId}`, { token: instructor.accessToken });
    expect(again.body).toMatchObject({ status: 'ready', attempts: 1 });

    const linked = await call(`/api/courses/${course.id}/lessons/${lessons[1]?.id}`, { method: 'PATCH', token: instructor.accessToken, json: { videoId } });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    const learner = await signedInAs('learner');
    expect((await call(`/api/courses/${course.id}/enrollment`, { method: 'POST', token: learner.accessToken })).status).toBeLessThan(300);
    const playback = await call<Playback>(`/api/courses/${course.id}/video`, { token: learner.accessToken });
    expect(playback.status, JSON.stringify(playback.body)).toBe(200);
    expect(new URL(playback.body.master).pathname).toMatch(new RegExp(`^/media/\\d+-[0-9a-f]{64}/${videoId}/[0-9a-f-]{36}/`));

    const master = await media(playback.body.master);
    expect(master.status).toBe(200);
    expect(master.headers.get('cache-control')).toContain('immutable');
    expect(master.headers.get('x-cache')).toBe('miss');
    const masterText = await master.text();
    expect(masterText).toContain('#EXT-X-STREAM-INF');
    // Every viewer shares one cached copy: another viewer's token for the job is answered from the edge cache.
    const [, , token = '', , jobId = ''] = new URL(playback.body.master).pathname.split('/');
    const otherViewer = playback.body.master.replace(token, await signMediaToken(env.JWT_SECRET, videoId, jobId, Math.floor(Date.now() / 1000) + 600));
    const shared = await eventually(async () => {
      const answer = await media(otherViewer);
      const text = await answer.text();
      return answer.headers.get('x-cache') === 'hit' && text;
    }, 10_000, 'the master playlist in the edge cache');
    expect(shared).toBe(masterText);
    // The token is still checked first.
    expect((await media(otherViewer.replace(/\/media\/\d+-/, '/media/1-'))).status).toBe(403);
    const renditionPlaylists = uris(masterText, playback.body.master);
    expect(renditionPlaylists.length).toBeGreaterThanOrEqual(1);
    for (const playlistUrl of renditionPlaylists) {
      const playlist = await media(playlistUrl);
      expect(playlist.status, playlistUrl).toBe(200);
      const [first, second] = uris(await playlist.text(), playlistUrl);
      for (const fileUrl of [first, second]) {
        expect(fileUrl).toBeDefined();
        const file = await media(fileUrl ?? '');
        expect(file.status, fileUrl).toBe(200);
        expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(0);
      }
    }

    // Range requests: from storage on a miss, from the cached copy on a hit.
    const rangeOf = async (url: string) => {
      const partial = await media(url, { range: 'bytes=0-9' });
      expect(partial.status).toBe(206);
      expect((await partial.arrayBuffer()).byteLength).toBe(10);
      expect(partial.headers.get('content-range')).toMatch(/^bytes 0-9\/\d+$/);
      return partial.headers.get('x-cache');
    };
    // A range never fills the cache: the poster is still a miss until it is read whole.
    expect(await rangeOf(playback.body.poster)).toBe('miss');
    const poster = await media(playback.body.poster);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');
    const posterBytes = new Uint8Array(await poster.arrayBuffer());
    expect([posterBytes[0], posterBytes[1]]).toEqual([0xff, 0xd8]);
    const sprite = await media(playback.body.storyboard.image);
    expect(sprite.status).toBe(200);
    await sprite.arrayBuffer();
    const vtt = await media(playback.body.storyboard.vtt);
    expect(await vtt.text()).toMatch(/^WEBVTT/);

    await eventually(async () => (await rangeOf(playback.body.poster)) === 'hit', 10_000, 'a range of the cached poster');

    // The offline copy: one MP4 through the same signed path, saved as a file when opened.
    expect(playback.body.download).toMatch(new RegExp(`/${videoId}/${jobId}/download\\.mp4$`));
    const download = await media(playback.body.download ?? '');
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${videoId}.mp4"`);
    expect(new TextDecoder().decode(new Uint8Array(await download.arrayBuffer()).slice(4, 8))).toBe('ftyp');
  });
});
