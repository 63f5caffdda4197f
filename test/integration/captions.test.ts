import { exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { normalizeSearchText } from '../../contracts/arabic.ts';
import { withDatabase } from './backing.ts';
import { apiIn, call, eventually, signedInAs } from './client.ts';
import { courseWithReadyVideo } from './video-fixtures.ts';

interface Track {
  id: string;
  language: string;
  label: string;
  isDefault: boolean;
  version: number;
  cueCount: number;
  direction: string;
}
interface Playback {
  master: string;
  captions: Array<{ id: string; language: string; label: string; default: boolean; direction: string; url: string }>;
}
interface Hit {
  lessonId: string;
  language: string;
  startSeconds: number;
  snippet: string;
  highlights: Array<[number, number]>;
}

const media = (url: string) => exports.default.fetch(url);

/** A word no other test's captions say, so a search finds only this test's lesson. */
const word = () => `zorb${crypto.randomUUID().slice(0, 6).replace(/\d/g, 'x')}`;

const english = (marker: string) => `WEBVTT

NOTE written by hand

STYLE
::cue { color: red }

1
00:00:01.000 --> 00:00:03.000 align:start position:10% onclick:alert(1)
Welcome to the <b>${marker}</b> lesson<script>alert(1)</script>

00:00:04.000 --> 00:00:06.500
<img src=x onerror=alert(1)>Tom &amp; Jerry <c.loud onclick="x">talk</c>
`;

// SRT, with the diacritics and ta marbuta the search must see through.
const arabic = `1
00:00:01,000 --> 00:00:03,000
مُقَدِّمَةٌ في الحوسبة الطرفية

2
00:00:04,000 --> 00:00:07,000
<font color="red">إلى</font> <i>المستشفى</i>
`;

describe('caption tracks', () => {
  it('are uploaded as WebVTT or SRT, cleaned, versioned, and served in the playback, the master playlist and the search', async () => {
    const instructor = await signedInAs('instructor');
    const { id: courseId, videoId, lessonId } = await courseWithReadyVideo(instructor);
    const marker = word();
    const put = (language: string, json: Record<string, unknown>, token = instructor.accessToken) =>
      call<Track>(`/api/videos/${videoId}/captions/${language}`, { method: 'PUT', token, json });

    const en = await put('en', { label: 'English', content: english(marker) });
    expect(en.status, JSON.stringify(en.body)).toBe(201);
    expect(en.body).toMatchObject({ language: 'en', label: 'English', isDefault: false, version: 1, cueCount: 2, direction: 'ltr' });
    const ar = await put('ar', { label: 'العربية', isDefault: true, content: arabic });
    expect(ar.status, JSON.stringify(ar.body)).toBe(201);
    expect(ar.body).toMatchObject({ language: 'ar', isDefault: true, cueCount: 2, direction: 'rtl' });

    // Only WebVTT's own markup is kept: no script, no HTML, no CSS from the upload, no unknown settings.
    const cues = await call<Track & { cues: Array<{ startMs: number; endMs: number; text: string; settings?: string }> }>(`/api/videos/${videoId}/captions/en`, { token: instructor.accessToken });
    expect(cues.body.cues).toEqual([
      { startMs: 1_000, endMs: 3_000, text: `Welcome to the <b>${marker}</b> lesson`, settings: 'align:start position:10%' },
      { startMs: 4_000, endMs: 6_500, text: 'Tom &amp; Jerry <c.loud>talk</c>' },
    ]);

    // A learner's playback names both tracks; the files and the master say the same.
    await call(`/api/courses/${courseId}/publish`, { method: 'POST', token: instructor.accessToken });
    const learner = await signedInAs('learner');
    const playback = await call<Playback>(`/api/courses/${courseId}/video?lessonId=${lessonId}`, { token: learner.accessToken });
    expect(playback.status, JSON.stringify(playback.body)).toBe(200);
    expect(playback.body.captions.map(({ language, label, default: isDefault, direction }) => ({ language, label, isDefault, direction }))).toEqual([
      { language: 'ar', label: 'العربية', isDefault: true, direction: 'rtl' },
      { language: 'en', label: 'English', isDefault: false, direction: 'ltr' },
    ]);
    const vtt = await media(playback.body.captions[1]!.url);
    expect(vtt.headers.get('content-type')).toContain('text/vtt');
    expect(await vtt.text()).toBe(`WEBVTT\n\n00:00:01.000 --> 00:00:03.000 align:start position:10%\nWelcome to the <b>${marker}</b> lesson\n\n00:00:04.000 --> 00:00:06.500\nTom &amp; Jerry <c.loud>talk</c>\n`);
    const master = await (await media(playback.body.master)).text();
    expect(master).toContain(`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="العربية",LANGUAGE="ar",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="captions/${ar.body.id}/1.m3u8"`);
    expect(master).toContain(`LANGUAGE="en",DEFAULT=NO`);
    expect(master).toContain('#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=1280x720,SUBTITLES="subs"');
    const subtitles = await (await media(new URL(`captions/${ar.body.id}/1.m3u8`, playback.body.master).href)).text();
    expect(subtitles).toContain('#EXTINF:10.000,\n1.vtt\n#EXT-X-ENDLIST');
    expect(await (await media(new URL(`captions/${ar.body.id}/1.vtt`, playback.body.master).href)).text()).toContain('مُقَدِّمَةٌ في الحوسبة الطرفية');

    // Spoken-word search, through the Arabic normalization: مقدمه finds مُقَدِّمَةٌ, مستشفي finds المستشفى.
    for (const [q, second, highlighted] of [['مقدمه', 1, 'مُقَدِّمَةٌ'], ['مستشفي', 4, 'المستشفى'], [marker, 1, marker]] as const) {
      const found = await call<{ items: Hit[] }>(`/api/search?q=${encodeURIComponent(q)}`);
      expect(found.status).toBe(200);
      const hit = found.body.items.find((item) => item.lessonId === lessonId);
      expect(hit, `a hit for ${q}`).toBeDefined();
      expect(hit!.startSeconds).toBe(second);
      expect(hit!.highlights.map(([start, end]) => hit!.snippet.slice(start, end))).toEqual([highlighted]);
    }
    // The catalog's search matches what is said too.
    const courses = await call<{ items: Array<{ id: string }> }>(`/api/courses?q=${marker}`);
    expect(courses.body.items.map((course) => course.id)).toEqual([courseId]);

    // A new version is a new file: learners get it on their next load.
    const second = await put('en', { label: 'English (edited)', content: english(marker).replace('Welcome', 'Hello') });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: en.body.id, version: 2, label: 'English (edited)' });
    const reloaded = await call<Playback>(`/api/courses/${courseId}/video?lessonId=${lessonId}`, { token: learner.accessToken });
    const newUrl = reloaded.body.captions.find((track) => track.language === 'en')!.url;
    expect(newUrl).toMatch(/\/captions\/[0-9a-f-]{36}\/2\.vtt$/);
    expect(await (await media(newUrl)).text()).toContain('Hello to the');
    expect(newUrl).not.toBe(playback.body.captions[1]!.url);
  });

  it('refuses a bad file with its line and the reason, and changes nothing', async () => {
    const instructor = await signedInAs('instructor');
    const { videoId } = await courseWithReadyVideo(instructor);
    const put = (content: string) => call<{ error: { code: string; message: string; line?: number } }>(`/api/videos/${videoId}/captions/en`, { method: 'PUT', token: instructor.accessToken, json: { label: 'English', content } });
    expect((await put('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n')).status).toBe(201);

    const badTiming = await put('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n00:00:05.000 --> 00:00:04.000\nbackwards\n');
    expect(badTiming.status).toBe(422);
    expect(badTiming.body.error.code).toBe('invalid_captions');
    expect(badTiming.body.error.message).toMatch(/^Line 6: /);
    // The video is 10 s long: a cue at 20 s cannot be one of its captions.
    const late = await put('WEBVTT\n\n00:00:20.000 --> 00:00:21.000\nafter the end\n');
    expect(late.status).toBe(422);
    expect(late.body.error.message).toMatch(/^Line 3: /);
    expect((await put('not a caption file at all')).status).toBe(422);
    // Over the file limit: refused by the parser; over what any file could need: refused before it is read.
    const huge = await put(`WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n${'x'.repeat(2_000_000)}\n`);
    expect([huge.status, huge.body.error.code]).toEqual([422, 'invalid_captions']);
    const endless = await put('x'.repeat(4_100_000));
    expect([endless.status, endless.body.error.code]).toEqual([413, 'payload_too_large']);

    const kept = await call<Track & { cues: Array<{ text: string }> }>(`/api/videos/${videoId}/captions/en`, { token: instructor.accessToken });
    expect(kept.body).toMatchObject({ version: 1, cues: [{ text: 'fine' }] });
  });

  it('are managed only by the course’s instructor or an admin; a label, the default and a delete change only the playlists', async () => {
    const instructor = await signedInAs('instructor');
    const { id: courseId, videoId, lessonId } = await courseWithReadyVideo(instructor);
    const path = `/api/videos/${videoId}/captions/en`;
    const json = { label: 'English', content: 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n' };
    expect((await call(path, { method: 'PUT', token: (await signedInAs('learner')).accessToken, json })).status).toBe(403);
    expect((await call(path, { method: 'PUT', token: (await signedInAs('instructor')).accessToken, json })).status).toBe(403);
    expect((await call(path, { method: 'PUT', json })).status).toBe(401);
    expect((await call(path, { method: 'PUT', token: (await signedInAs('admin')).accessToken, json })).status).toBe(201);
    expect((await call(`/api/videos/${videoId}/captions/not a tag`, { method: 'PUT', token: instructor.accessToken, json })).status).toBe(400);
    for (const hostile of ['en%2f..', 'en%00', '%ff', '..%252fen']) expect((await call(`/api/videos/${videoId}/captions/${hostile}`, { method: 'PUT', token: instructor.accessToken, json })).status, hostile).toBe(400);
    // A label is one line of text: no control or direction-override characters (they would disguise it in the menu).
    expect((await call(path, { method: 'PATCH', token: instructor.accessToken, json: { label: 'English\u202Ehsilgne' } })).status).toBe(400);
    // A tag in any case is the one track of its language, in canonical case.
    const regional = await call<Track>(`/api/videos/${videoId}/captions/ar-sa`, { method: 'PUT', token: instructor.accessToken, json });
    expect([regional.status, regional.body.language]).toEqual([201, 'ar-SA']);
    const again = await call<Track>(`/api/videos/${videoId}/captions/ar-Sa`, { method: 'PUT', token: instructor.accessToken, json });
    expect([again.status, again.body.id, again.body.version]).toEqual([200, regional.body.id, 2]);
    expect((await call(`/api/videos/${videoId}/captions/ar-SA`, { method: 'DELETE', token: instructor.accessToken })).status).toBe(204);

    const renamed = await call<Track>(path, { method: 'PATCH', token: instructor.accessToken, json: { label: 'English "CC"', isDefault: true } });
    expect(renamed.body).toMatchObject({ label: 'English "CC"', isDefault: true, version: 1 });
    const playback = await call<Playback>(`/api/courses/${courseId}/video?lessonId=${lessonId}`, { token: instructor.accessToken });
    // A quote cannot end the playlist's quoted string early.
    expect(await (await media(playback.body.master)).text()).toContain(`NAME="English 'CC'",LANGUAGE="en",DEFAULT=YES`);

    expect((await call(path, { method: 'DELETE', token: instructor.accessToken })).status).toBe(204);
    expect((await call(path, { token: instructor.accessToken })).status).toBe(404);
    const after = await call<Playback>(`/api/courses/${courseId}/video?lessonId=${lessonId}`, { token: instructor.accessToken });
    expect(after.body.captions).toEqual([]);
    expect(await (await media(after.body.master)).text()).not.toContain('SUBTITLES');
  });

  it('travel with their course to sa, where they play and are found', async () => {
    const instructor = await signedInAs('instructor');
    const { id: courseId, videoId, lessonId } = await courseWithReadyVideo(instructor);
    const marker = word();
    await call(`/api/videos/${videoId}/captions/en`, { method: 'PUT', token: instructor.accessToken, json: { label: 'English', content: `WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nsaid ${marker} here\n` } });
    await call(`/api/courses/${courseId}/publish`, { method: 'POST', token: instructor.accessToken });

    const replica = await eventually(async () => {
      const answer = await call<Playback>(`/api/courses/${courseId}/video?lessonId=${lessonId}`, { jurisdiction: 'sa' });
      return answer.status === 200 && answer.body.captions.length === 1 ? answer.body : undefined;
    }, 20_000, 'the caption track reaching sa');
    // Served from sa's own storage, where the file was copied.
    expect(await (await apiIn('sa').fetch(replica.captions[0]!.url)).text()).toContain(`said ${marker} here`);
    const found = await call<{ items: Hit[] }>(`/api/search?q=${marker}`, { jurisdiction: 'sa' });
    expect(found.body.items.map((hit) => [hit.lessonId, hit.startSeconds])).toEqual([[lessonId, 2]]);
  });
});

describe('search normalization', () => {
  it('is the same in PostgreSQL (indexed text, queries) and in TypeScript (highlights, the transcript)', async () => {
    const samples = ['مُقَدِّمَةٌ', 'مقدّمة', 'أحمد إلى آخر ٱلكتاب', 'مستشفى', 'العـــلم', 'ﻻ', '  Hello   WORLD  ', 'ÉCOLE ﬁn', 'x\ty'];
    const fromSql = await withDatabase('us', async (db) => (await db.execute<{ n: string }>(sql`select kce_search_normalize(s) as n from unnest(${sql.param(samples)}::text[]) with ordinality as t(s, i) order by i`)).rows.map((row) => row.n));
    expect(fromSql).toEqual(samples.map(normalizeSearchText));
  });

  it('lets a title be found without its diacritics: مقدمه finds مقدّمة', async () => {
    const instructor = await signedInAs('instructor');
    const title = `مقدّمة في الحوسبة ${crypto.randomUUID().slice(0, 4)}`;
    const { id } = await courseWithReadyVideo(instructor, { title });
    await call(`/api/courses/${id}/publish`, { method: 'POST', token: instructor.accessToken });
    const found = await call<{ items: Array<{ id: string }> }>(`/api/courses?q=${encodeURIComponent('مقدمه الحوسبه')}&limit=50`);
    expect(found.body.items.map((course) => course.id)).toContain(id);
  });
});
