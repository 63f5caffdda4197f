import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq, inArray } from 'drizzle-orm';
import { inject, describe, expect, it } from 'vitest';
import { JURISDICTION_IDS, type JurisdictionId } from '../../contracts/jurisdictions.ts';
import type { CourseDetail } from '../../workers/api/catalog/schemas.ts';
import { courses, lessons, refusedMessages, videos } from '../../db/schema.ts';
import worker from '../../workers/api/index.ts';
import type { ContentSync } from '../../workers/lib/contracts.ts';
import { applyContentSync, contentSyncFor } from '../../workers/api/catalog/replication.ts';
import { ReplicationSettings, readConfig, StorageSettings } from '../../workers/lib/config.ts';
import { openStorage } from '../../workers/lib/storage.ts';
import { findUserByEmail, withDatabase } from './backing.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { apiIn, call, eventually, signedInAs } from './client.ts';
import { courseWithReadyVideo } from './video-fixtures.ts';

const saStorage = () => openStorage(readConfig(StorageSettings, { ...inject('settings').sa }));

async function courseIn(jurisdiction: JurisdictionId, id: string, version?: number) {
  const answer = await call<CourseDetail>(`/api/courses/${id}`, { jurisdiction });
  return answer.status === 200 && (version === undefined || answer.body.version >= version) ? answer.body : undefined;
}

describe('global content: a published course is replicated to every other jurisdiction', () => {
  it('copies the course, its lessons and its ready video to sa, where it plays; updates and unpublishing follow', async () => {
    const instructor = await signedInAs('instructor');
    const { id, title, videoId, prefix, playlist } = await courseWithReadyVideo(instructor);
    expect(await courseIn('sa', id)).toBeUndefined();
    await call(`/api/courses/${id}/publish`, { method: 'POST', token: instructor.accessToken });

    const replica = await eventually(() => courseIn('sa', id), 20_000, 'the course reaching sa');
    expect(replica).toMatchObject({ title, status: 'published', originJurisdiction: 'us', instructorId: null, lessons: [{ title: 'With a video', videoId }] });
    const sa = saStorage();
    const copied = await sa.s3.send(new GetObjectCommand({ Bucket: sa.bucket, Key: `${prefix}master.m3u8` }));
    expect(await copied.Body?.transformToString()).toBe(playlist);
    expect(copied.ContentType).toBe('application/vnd.apple.mpegurl');
    await sa.s3.send(new GetObjectCommand({ Bucket: sa.bucket, Key: `${prefix}720p/init.mp4` }));
    const playback = await call<{ master: string; download: string | null }>(`/api/courses/${id}/video`, { jurisdiction: 'sa' });
    expect(playback.status, JSON.stringify(playback.body)).toBe(200);
    // The offline copy travels with its video.
    expect(playback.body.download).toBe(playback.body.master.replace(/master\.m3u8$/, 'download.mp4'));
    const master = await env.API_sa.fetch(playback.body.master);
    expect(master.status).toBe(200);
    expect(await master.text()).toBe(playlist);

    const edited = await call<CourseDetail>(`/api/courses/${id}`, { method: 'PATCH', token: instructor.accessToken, json: { summary: 'Now with a summary' } });
    expect((await eventually(() => courseIn('sa', id, edited.body.version), 20_000, 'the edit reaching sa')).summary).toBe('Now with a summary');

    const editInSa = await call(`/api/courses/${id}`, { method: 'PATCH', jurisdiction: 'sa', token: (await signedInAs('admin', 'sa')).accessToken, json: { title: 'Changed in sa' } });
    expect(editInSa.status).toBe(409);
    expect(editInSa.body).toMatchObject({ error: { code: 'replica_read_only' } });

    await call(`/api/courses/${id}/unpublish`, { method: 'POST', token: instructor.accessToken });
    await eventually(async () => (await call(`/api/courses/${id}`, { jurisdiction: 'sa' })).status === 404, 20_000, 'the withdrawal reaching sa');
  });

  it('keeps replicas on a lesson’s ready video while the replacement it shows at home is still being encoded', async () => {
    const instructor = await signedInAs('instructor');
    const { id, videoId, lessonId } = await courseWithReadyVideo(instructor);
    // The ready video was uploaded for its lesson; a replacement for it is playable, and the lesson shows it at home.
    const replacement = crypto.randomUUID();
    const replacementPrefix = `media/${replacement}/${crypto.randomUUID()}/`;
    await withDatabase('us', async (db) => {
      await db.update(videos).set({ lessonId }).where(eq(videos.id, videoId));
      await db.insert(videos).values({
        id: replacement, courseId: id, lessonId, originJurisdiction: 'us', uploaderId: instructor.user.id, status: 'playable', filename: 'new.mp4', contentType: 'video/mp4',
        sizeBytes: 1_000, sourceKey: `raw/${replacement}/source.mp4`, progressPercent: 40, outputPrefix: replacementPrefix, masterKey: `${replacementPrefix}master.m3u8`, durationSeconds: 10,
      });
      await db.update(lessons).set({ videoId: replacement }).where(eq(lessons.id, lessonId));
    });
    const message = await withDatabase('us', (db) => contentSyncFor(db, id, 'us', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`));
    expect(message.lessons.map((lesson) => lesson.videoId)).toEqual([videoId]);
    expect(message.videos.map((video) => video.id)).toEqual([videoId]);

    await call(`/api/courses/${id}/publish`, { method: 'POST', token: instructor.accessToken });
    const replica = await eventually(() => courseIn('sa', id), 20_000, 'the course reaching sa');
    expect(replica.lessons.map((lesson) => lesson.videoId)).toEqual([videoId]);
    const playback = await call<{ videoId: string; status: string }>(`/api/courses/${id}/video`, { jurisdiction: 'sa' });
    expect(playback.body).toMatchObject({ videoId, status: 'ready' });
    // At home the lesson still shows the replacement.
    const [home] = await withDatabase('us', (db) => db.select({ videoId: lessons.videoId }).from(lessons).where(eq(lessons.id, lessonId)));
    expect(home?.videoId).toBe(replacement);
  });

  it('reaches every other jurisdiction of contracts/jurisdictions.ts, each serving the course and its video from its own storage', async () => {
    const instructor = await signedInAs('instructor');
    const { id, videoId, playlist } = await courseWithReadyVideo(instructor);
    await call(`/api/courses/${id}/publish`, { method: 'POST', token: instructor.accessToken });
    const elsewhere = JURISDICTION_IDS.filter((j) => j !== 'us');
    expect(elsewhere.length).toBeGreaterThan(0);
    for (const jurisdiction of elsewhere) {
      const replica = await eventually(() => courseIn(jurisdiction, id), 20_000, `the course reaching ${jurisdiction}`);
      expect(replica).toMatchObject({ status: 'published', originJurisdiction: 'us', lessons: [{ videoId }] });
      const playback = await call<{ master: string }>(`/api/courses/${id}/video`, { jurisdiction });
      expect(playback.status, JSON.stringify(playback.body)).toBe(200);
      expect(new URL(playback.body.master).host).toBe(`${jurisdiction}.api.test`);
      const master = await apiIn(jurisdiction).fetch(playback.body.master);
      expect(await master.text()).toBe(playlist);
    }
  });

  it('ignores a replayed or stale message', async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor);
    const message = await withDatabase('us', (db) => contentSyncFor(db, course.id, 'us', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'));
    const replica = await eventually(() => courseIn('sa', course.id, message.course.version), 20_000, 'the course reaching sa');
    const settings = inject('settings').sa;
    const sources = readConfig(ReplicationSettings.pick({ REPLICATION_SOURCES: true }), { ...settings }).REPLICATION_SOURCES;
    const applied = await withDatabase('sa', (db) => applyContentSync(db, saStorage(), sources, message));
    expect(applied).toBe(false);
    const stale = { ...message, course: { ...message.course, version: message.course.version - 1, title: 'An older title' } };
    expect(await withDatabase('sa', (db) => applyContentSync(db, saStorage(), sources, stale))).toBe(false);
    expect(await courseIn('sa', course.id)).toMatchObject({ title: replica.title, version: replica.version });
  });

  it('sends content only: no enrollment, progress or user row reaches sa', async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessons } = await publishedCourse(instructor);
    const learner = await signedInAs('learner');
    await call(`/api/courses/${course.id}/enrollment`, { method: 'POST', token: learner.accessToken });
    await call(`/api/lessons/${lessons[0]!.id}/progress`, { method: 'PUT', token: learner.accessToken, json: { positionSeconds: 30, durationSeconds: 60 } });
    await eventually(() => courseIn('sa', course.id), 20_000, 'the course reaching sa');
    expect(await findUserByEmail('sa', instructor.user.email)).toBeUndefined();
    expect(await findUserByEmail('sa', learner.user.email)).toBeUndefined();
    const counts = await withDatabase('sa', async (db) => {
      const { rows } = await db.execute<{ enrollments: number; progress: number }>(
        `select (select count(*)::int from enrollments where course_id = '${course.id}') as enrollments, (select count(*)::int from lesson_progress where course_id = '${course.id}') as progress`,
      );
      return rows[0];
    });
    expect(counts).toEqual({ enrollments: 0, progress: 0 });
  });
});

/** A course from sa as its content-sync message would carry it, naming whatever lessons and videos it is given. */
function fromSa(parts: Pick<ContentSync, 'lessons' | 'videos'>): ContentSync {
  const id = crypto.randomUUID();
  return {
    v: 1,
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    kind: 'course',
    origin: 'sa',
    action: 'upsert',
    course: {
      id, version: 1, slug: `from-sa-${id.slice(0, 8)}`, title: 'From sa', summary: '', description: '', language: 'en', level: 'beginner', tags: [],
      coverImageUrl: null, instructorName: 'Someone in sa', publishedAt: new Date().toISOString(), isPaid: false,
    },
    captions: [],
    prices: [],
    ...parts,
  };
}

const replicatedVideo = (id: string, lessonId: string | null): ContentSync['videos'][number] => ({
  id, lessonId, filename: 'x.mp4', contentType: 'video/mp4', sizeBytes: 1, outputPrefix: `media/${id}/${crypto.randomUUID()}/`, masterKey: null, posterKey: null,
  storyboardImageKey: null, storyboardVttKey: null, downloadKey: null, durationSeconds: null, width: null, height: null, renditions: [],
});

/** Delivers messages to this jurisdiction's (us) content-sync consumer, each on its first attempt. */
async function deliver(...bodies: ContentSync[]) {
  const batch = createMessageBatch('kce-us-content-sync', bodies.map((body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  const ids = batch.messages.map((m) => m.id);
  const refused = await withDatabase('us', (db) => db.select().from(refusedMessages).where(and(eq(refusedMessages.queue, 'kce-us-content-sync'), inArray(refusedMessages.messageId, ids))));
  return { ids, result, refused: ids.map((id) => refused.find((row) => row.messageId === id)) };
}

const courseExists = (id: string) => withDatabase('us', async (db) => (await db.select({ id: courses.id }).from(courses).where(eq(courses.id, id))).length > 0);

describe('replication never overwrites what it does not own', () => {
  it('refuses, at once and with a reason, messages naming a lesson or a video that originates here; the rows stay as they were', async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessons: [lesson] } = await publishedCourse(instructor);
    const upload = await call<{ videoId: string }>('/api/videos/upload', { token: instructor.accessToken, json: { courseId: course.id, filename: 'mine.mp4', sizeBytes: 1_000, contentType: 'video/mp4' } });
    const localVideoId = upload.body.videoId;
    const rows = () =>
      withDatabase('us', async (db) => ({
        lesson: (await db.select().from(lessons).where(eq(lessons.id, lesson!.id)))[0],
        video: (await db.select().from(videos).where(eq(videos.id, localVideoId)))[0],
      }));
    const before = await rows();
    expect(before.video).toMatchObject({ originJurisdiction: 'us', courseId: course.id, uploaderId: instructor.user.id });

    const lessonMessage = fromSa({ lessons: [{ id: lesson!.id, position: 0, title: 'Taken over', summary: '', isPreview: true, videoId: null, durationSeconds: null }], videos: [] });
    const videoMessage = fromSa({ lessons: [], videos: [replicatedVideo(localVideoId, null)] });
    const { ids, result, refused } = await deliver(lessonMessage, videoMessage);

    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(result.retryMessages).toEqual([]);
    expect(refused[0]).toMatchObject({ attempts: 1, reason: expect.stringContaining(`lesson ${lesson!.id} exists here with another origin`) });
    expect(refused[1]).toMatchObject({ attempts: 1, reason: expect.stringContaining(`video ${localVideoId} exists here with another origin`) });
    expect(refused[1]?.body).toMatchObject({ course: { id: videoMessage.course.id } });
    expect(await rows()).toEqual(before);
    expect(await courseExists(lessonMessage.course.id)).toBe(false);
    expect(await courseExists(videoMessage.course.id)).toBe(false);
  });

  it('refuses, at once, a message whose rows fail a foreign key, instead of retrying it into the dead-letter queue', async () => {
    const missingVideo = fromSa({ lessons: [{ id: crypto.randomUUID(), position: 0, title: 'Names a video nobody sent', summary: '', isPreview: false, videoId: crypto.randomUUID(), durationSeconds: null }], videos: [] });
    const missingLesson = fromSa({ lessons: [], videos: [replicatedVideo(crypto.randomUUID(), crypto.randomUUID())] });
    const { ids, result, refused } = await deliver(missingVideo, missingLesson);

    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(result.retryMessages).toEqual([]);
    expect(refused[0]).toMatchObject({ attempts: 1, reason: expect.stringContaining(`names video ${missingVideo.lessons[0]!.videoId}`) });
    expect(refused[1]).toMatchObject({ attempts: 1, reason: expect.stringMatching(/names rows that do not exist here: .*lesson_id/) });
    expect(await courseExists(missingVideo.course.id)).toBe(false);
    expect(await courseExists(missingLesson.course.id)).toBe(false);
  });
});

describe('notifications', () => {
  it('stores messages from the notifications queue and lists them unread first', async () => {
    const learner = await signedInAs('learner');
    const send = (title: string) =>
      env.NOTIFICATIONS.send({
        v: 1,
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        id: crypto.randomUUID(),
        userId: learner.user.id,
        type: 'video_ready',
        title,
        body: 'Your video is ready to watch.',
        data: { videoId: crypto.randomUUID() },
      });
    await send('First');
    await send('Second');
    interface List {
      items: Array<{ id: string; title: string; read: boolean }>;
      unread: number;
    }
    const listed = await eventually(async () => {
      const answer = await call<List>('/api/notifications', { token: learner.accessToken });
      return answer.body.items.length === 2 ? answer.body : undefined;
    }, 20_000, 'two notifications');
    expect(listed.unread).toBe(2);
    const first = listed.items.find((item) => item.title === 'First')!;
    expect((await call(`/api/notifications/${first.id}/read`, { method: 'POST', token: learner.accessToken })).body).toEqual({ marked: 1 });
    const after = await call<List>('/api/notifications', { token: learner.accessToken });
    expect(after.body.unread).toBe(1);
    expect(after.body.items.map((item) => [item.title, item.read])).toEqual([
      ['Second', false],
      ['First', true],
    ]);
    const other = await signedInAs('learner');
    expect((await call<List>('/api/notifications', { token: other.accessToken })).body.items).toEqual([]);
  });
});
