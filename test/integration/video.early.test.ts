import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { CourseDetail } from '../../workers/api/catalog/schemas.ts';
import type { Playback } from '../../workers/api/videos/schemas.ts';
import { call, eventually, signedInAs } from './client.ts';
import { finished, lessonWithReadyVideo, sampleClip, uploadVideo } from './video-fixtures.ts';

const media = (url: string) => exports.default.fetch(url);

/** The first URI line of a playlist, resolved against it. */
const firstUri = (playlist: string, base: string) => new URL(playlist.split('\n').find((line) => line && !line.startsWith('#')) ?? '', base).href;

describe('a lecture plays while it is encoded', () => {
  it('is playable after its first chunks: shown in its lesson, growing playlists kept for seconds, complete once ready', { timeout: 150_000 }, async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessonId, lessonVideo } = await lessonWithReadyVideo(instructor);

    // A 40 s replacement: four chunks, watchable long before the last one is encoded.
    const lecture = await uploadVideo(instructor, course.id, await sampleClip('lecture'), 'lecture.mp4', 'video/mp4', lessonId);
    const playable = await finished(instructor, lecture, 90_000, ['playable', 'ready', 'failed']);
    expect(playable.status, JSON.stringify(playable.error)).toBe('playable');
    expect(playable.percent).toBeLessThan(100);
    // Playable on its lowest rung, encoded first; the others are listed once it is ready.
    expect(playable.renditions?.map((rendition) => rendition.name)).toEqual(['360p']);
    // The server switched the lesson to it: learners get it now, not when it is ready.
    expect(await lessonVideo()).toBe(lecture);

    const learner = await signedInAs('learner');
    expect((await call(`/api/courses/${course.id}/enrollment`, { method: 'POST', token: learner.accessToken })).status).toBeLessThan(300);
    const early = await call<Playback>(`/api/videos/${lecture}/playback`, { token: learner.accessToken });
    expect(early.status, JSON.stringify(early.body)).toBe(200);
    expect(early.body).toMatchObject({ videoId: lecture, status: 'playable', poster: null, storyboard: null, download: null });
    expect(early.body.durationSeconds).toBeCloseTo(40, 0);

    const master = await media(early.body.master);
    expect(master.status).toBe(200);
    expect(master.headers.get('cache-control')).toBe('public, max-age=2');
    const playlistUrl = firstUri(await master.text(), early.body.master);
    const growing = await media(playlistUrl);
    expect(growing.headers.get('cache-control')).toBe('public, max-age=2');
    const growingText = await growing.text();
    expect(growingText).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(growingText).not.toContain('#EXT-X-ENDLIST');
    const segment = await media(new URL(growingText.split('\n').find((line) => line.endsWith('.m4s')) ?? '', playlistUrl).href);
    expect(segment.status).toBe(200);
    expect((await segment.arrayBuffer()).byteLength).toBeGreaterThan(1000);

    const ready = await finished(instructor, lecture);
    expect(ready.status).toBe('ready');
    expect(ready.renditions?.map((rendition) => rendition.name)).toEqual(['720p', '480p', '360p']);
    const complete = await call<Playback>(`/api/videos/${lecture}/playback`, { token: learner.accessToken });
    expect(complete.body).toMatchObject({ status: 'ready', percent: 100 });
    expect(complete.body.poster).toMatch(/poster\.jpg$/);
    expect(complete.body.download).toMatch(/download\.mp4$/);
    // The same playlist URL, once its short cache life ends: VOD, complete, kept for good.
    const finalPlaylist = await eventually(async () => {
      const answer = await media(playlistUrl);
      const text = await answer.text();
      return text.includes('#EXT-X-ENDLIST') && { text, cacheControl: answer.headers.get('cache-control') };
    }, 15_000, 'the complete playlist');
    expect(finalPlaylist.text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(finalPlaylist.cacheControl).toContain('immutable');
    // Replicas receive complete videos only: sa shows it once it is ready.
    await eventually(async () => (await call<CourseDetail>(`/api/courses/${course.id}`, { jurisdiction: 'sa' })).body.lessons?.[0]?.videoId === lecture, 20_000, 'the ready video reaching sa');
  });
});
