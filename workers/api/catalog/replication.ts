import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { and, asc, desc, eq, exists, inArray, notInArray, or, sql } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { captionTracks, coursePrices, courses, lessons, videos } from '../../../db/schema.ts';
import { contentSyncBinding, type ContentSyncBinding, type JurisdictionId } from '../../../contracts/jurisdictions.ts';
import type { StorageLocation } from '../../lib/config.ts';
import type { ContentSync } from '../../lib/contracts.ts';
import { AppError } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import { RefusedMessage } from '../../lib/queue.ts';
import { storageAt, type Storage } from '../../lib/storage.ts';
import { indexCues, readCues } from '../captions/tracks.ts';
import { loadCourse } from './courses.ts';

/** The message that tells another jurisdiction the current state of a published (or withdrawn) course. */
export async function contentSyncFor(db: NeonDatabase, courseId: string, origin: string, traceparent: string): Promise<ContentSync> {
  const course = await loadCourse(db, courseId);
  const courseLessons = await db.select().from(lessons).where(eq(lessons.courseId, courseId)).orderBy(asc(lessons.position));
  const shown = courseLessons.flatMap(({ id, videoId }) => (videoId ? [{ id, videoId }] : []));
  const candidates = shown.length > 0
    ? await db
        .select()
        .from(videos)
        .where(and(eq(videos.courseId, courseId), eq(videos.status, 'ready'), or(inArray(videos.id, shown.map((lesson) => lesson.videoId)), inArray(videos.lessonId, shown.map((lesson) => lesson.id)))))
        .orderBy(desc(videos.updatedAt))
    : [];
  // A replica gets only ready videos. A lesson that shows a replacement still being encoded goes with
  // the newest ready video uploaded for it (the one it showed before), so replicas keep playing that.
  const ready = candidates.filter((video) => video.outputPrefix);
  const replicated = new Map(shown.map((lesson) => [lesson.id, (ready.find((video) => video.id === lesson.videoId) ?? ready.find((video) => video.lessonId === lesson.id))?.id]));
  const sent = new Set([...replicated.values()].filter((id) => id !== undefined));
  const tracks = sent.size > 0 ? await db.select().from(captionTracks).where(inArray(captionTracks.videoId, [...sent])) : [];
  const prices = await db.select({ jurisdiction: coursePrices.jurisdiction, currency: coursePrices.currency, amountMinor: coursePrices.amountMinor }).from(coursePrices).where(eq(coursePrices.courseId, courseId));
  return {
    v: 1,
    traceparent,
    kind: 'course',
    origin,
    action: course.status === 'published' ? 'upsert' : 'unpublish',
    course: {
      id: course.id,
      version: course.version,
      slug: course.slug,
      title: course.title,
      summary: course.summary,
      description: course.description,
      language: course.language,
      level: course.level,
      tags: course.tags,
      coverImageUrl: course.coverImageUrl,
      instructorName: course.instructorName,
      publishedAt: course.publishedAt?.toISOString() ?? null,
      isPaid: course.isPaid,
    },
    prices,
    lessons: courseLessons.map(({ id, position, title, summary, isPreview, videoId, durationSeconds }) => ({
      id,
      position,
      title,
      summary,
      isPreview,
      videoId: videoId ? (replicated.get(id) ?? null) : null,
      durationSeconds,
    })),
    videos: ready.flatMap((video) =>
      video.outputPrefix && sent.has(video.id)
        ? [
            {
              id: video.id,
              lessonId: video.lessonId,
              filename: video.filename,
              contentType: video.contentType,
              sizeBytes: video.sizeBytes,
              outputPrefix: video.outputPrefix,
              masterKey: video.masterKey,
              posterKey: video.posterKey,
              storyboardImageKey: video.storyboardImageKey,
              storyboardVttKey: video.storyboardVttKey,
              downloadKey: video.downloadKey,
              durationSeconds: video.durationSeconds,
              width: video.width,
              height: video.height,
              renditions: video.renditions,
            },
          ]
        : [],
    ),
    captions: tracks.map(({ id, videoId, language, label, isDefault, version, storageKey, source }) => ({ id, videoId, language, label, isDefault, version, storageKey, source })),
  };
}

/** Each jurisdiction's `content-sync` queue binding (`CONTENT_SYNC_sa` for "sa"), as its wrangler `[env.<id>]` declares them. */
export function contentSyncQueues(replicateTo: readonly JurisdictionId[], env: Partial<Record<ContentSyncBinding, Queue>>): Queue[] {
  return replicateTo.map((jurisdiction) => {
    const binding = contentSyncBinding(jurisdiction);
    const queue = env[binding];
    if (!queue) throw new AppError('invalid_configuration', `REPLICATE_TO names "${jurisdiction}" but there is no ${binding} queue binding.`);
    return queue;
  });
}

/** Tells every other jurisdiction the course's new state, once it has ever been published (drafts stay home). */
export async function replicateCourse(db: NeonDatabase, courseId: string, origin: string, queues: readonly Queue[], traceparent: string): Promise<void> {
  if (queues.length === 0) return;
  const message = await contentSyncFor(db, courseId, origin, traceparent);
  if (message.action === 'unpublish' && message.course.publishedAt === null) return;
  for (const queue of queues) await queue.send(message, { contentType: 'json' });
}

/** Copies every object under a prefix that the target lacks (or holds in another version), GET → PUT. */
async function copyPrefix(source: Storage, target: Storage, prefix: string): Promise<number> {
  let copied = 0;
  let token: string | undefined;
  do {
    const page = await source.s3.send(new ListObjectsV2Command({ Bucket: source.bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      const existing = await target.s3
        .send(new HeadObjectCommand({ Bucket: target.bucket, Key: object.Key }))
        .catch((error: { name?: string }) => (error.name === 'NotFound' ? undefined : Promise.reject(error)));
      if (existing?.ETag === object.ETag) continue;
      const body = await source.s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: object.Key }));
      await target.s3.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: object.Key,
          Body: await body.Body?.transformToByteArray(),
          ContentType: body.ContentType,
          CacheControl: body.CacheControl,
        }),
      );
      copied++;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return copied;
}

const FOREIGN_KEY_VIOLATION = '23503';
function foreignKeyViolation(error: unknown): string | undefined {
  const e = error as { code?: string; detail?: string; cause?: { code?: string; detail?: string } };
  const pg = e.code === FOREIGN_KEY_VIOLATION ? e : e.cause?.code === FOREIGN_KEY_VIOLATION ? e.cause : undefined;
  return pg && (pg.detail ?? 'a foreign key fails');
}

/**
 * Applies a replicated course: media first (a course never shows before its videos are here), then
 * the rows, only if the message is newer than what this jurisdiction has. Replays change nothing.
 * A row that exists here with another origin is never overwritten (each upsert's update is
 * conditional on the origin), and such a message, or one whose rows fail a foreign key, is refused:
 * no retry could apply it.
 */
export async function applyContentSync(db: NeonDatabase, storage: Storage, sources: Record<string, StorageLocation>, message: ContentSync): Promise<boolean> {
  // A replay or a stale message: nothing to copy or parse (the transaction below checks again).
  const [known] = await db.select({ version: courses.version, origin: courses.originJurisdiction }).from(courses).where(eq(courses.id, message.course.id)).limit(1);
  if (known?.origin === message.origin && known.version >= message.course.version) return false;
  const source = sources[message.origin];
  if (message.action === 'upsert' && message.videos.length > 0) {
    if (!source) throw new Error(`no storage location configured for jurisdiction "${message.origin}" (REPLICATION_SOURCES)`);
    const from = storageAt(source);
    for (const prefix of [...message.videos.map((video) => video.outputPrefix), ...message.captions.map((track) => track.storageKey)]) {
      const copied = await copyPrefix(from, storage, prefix);
      log('info', 'replicated media', { courseId: message.course.id, prefix, copied });
    }
  }
  // Parsed here from the copied files: a replica indexes the very cues it serves.
  const captions = await Promise.all(message.captions.map(async (track) => ({ track, cues: await readCues(storage, track) })));
  const { course, origin } = message;
  const notOwned = (what: string, id: string) => new RefusedMessage(`${what} ${id} exists here with another origin than "${origin}": a replica never overwrites it.`);
  try {
    return await db.transaction(async (tx) => {
      const [current] = await tx.select({ version: courses.version, origin: courses.originJurisdiction }).from(courses).where(eq(courses.id, course.id)).limit(1);
      if (current && current.origin !== origin) throw notOwned('course', course.id);
      if (current && current.version >= course.version) return false;
      const slugOwner = await tx.select({ id: courses.id }).from(courses).where(and(eq(courses.slug, course.slug), sql`${courses.id} <> ${course.id}`)).limit(1);
      const row = {
        ...course,
        // A local course already has this slug: the replica keeps its own, marked with its origin.
        slug: slugOwner.length > 0 ? `${course.slug}-${origin}` : course.slug,
        publishedAt: course.publishedAt ? new Date(course.publishedAt) : null,
        status: message.action === 'upsert' ? ('published' as const) : ('draft' as const),
        originJurisdiction: origin,
        instructorId: null,
        updatedAt: new Date(),
      };
      await tx.insert(courses).values(row).onConflictDoUpdate({ target: courses.id, set: row });
      await tx.delete(coursePrices).where(eq(coursePrices.courseId, course.id));
      if (message.prices.length > 0) await tx.insert(coursePrices).values(message.prices.map((price) => ({ ...price, courseId: course.id })));
      const keep = message.lessons.map((lesson) => lesson.id);
      await tx.delete(lessons).where(keep.length > 0 ? and(eq(lessons.courseId, course.id), notInArray(lessons.id, keep)) : eq(lessons.courseId, course.id));
      // Lessons and videos name each other: lessons first without their video, then videos, then the links.
      for (const { videoId: _, ...lesson } of message.lessons) {
        const values = { ...lesson, courseId: course.id, originJurisdiction: origin, videoId: null, updatedAt: new Date() };
        const written = await tx.insert(lessons).values(values).onConflictDoUpdate({ target: lessons.id, set: values, where: eq(lessons.originJurisdiction, origin) }).returning({ id: lessons.id });
        if (written.length === 0) throw notOwned('lesson', lesson.id);
      }
      // Ready to play here too: no uploader (that account stays home) and no raw source.
      for (const video of message.videos) {
        const values = { ...video, courseId: course.id, originJurisdiction: origin, uploaderId: null, status: 'ready' as const, sourceKey: '', progressPercent: 100, updatedAt: new Date() };
        const written = await tx.insert(videos).values(values).onConflictDoUpdate({ target: videos.id, set: values, where: eq(videos.originJurisdiction, origin) }).returning({ id: videos.id });
        if (written.length === 0) throw notOwned('video', video.id);
      }
      const tracks = message.captions.map((track) => track.id);
      await tx.delete(captionTracks).where(and(eq(captionTracks.courseId, course.id), eq(captionTracks.originJurisdiction, origin), ...(tracks.length > 0 ? [notInArray(captionTracks.id, tracks)] : [])));
      for (const { track, cues } of captions) {
        const values = { ...track, courseId: course.id, originJurisdiction: origin, cueCount: cues.length, search: sql`''::tsvector`, updatedAt: new Date() };
        const written = await tx.insert(captionTracks).values(values).onConflictDoUpdate({ target: captionTracks.id, set: values, where: eq(captionTracks.originJurisdiction, origin) }).returning({ id: captionTracks.id });
        if (written.length === 0) throw notOwned('caption track', track.id);
        await indexCues(tx, track.id, track.language, cues);
      }
      // As at home, a lesson shows only a video of its own course (and of the same origin).
      for (const { id, videoId } of message.lessons) {
        if (!videoId) continue;
        const ownVideo = tx.select({ id: videos.id }).from(videos).where(and(eq(videos.id, videoId), eq(videos.courseId, course.id), eq(videos.originJurisdiction, origin)));
        const linked = await tx.update(lessons).set({ videoId }).where(and(eq(lessons.id, id), exists(ownVideo))).returning({ id: lessons.id });
        if (linked.length === 0) throw new RefusedMessage(`lesson ${id} names video ${videoId}, which is not a video of course ${course.id} from "${origin}" here.`);
      }
      return true;
    });
  } catch (error) {
    const failed = foreignKeyViolation(error);
    if (failed) throw new RefusedMessage(`course ${course.id} version ${course.version} names rows that do not exist here: ${failed}`);
    throw error;
  }
}
