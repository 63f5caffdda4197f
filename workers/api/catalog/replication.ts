import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { and, asc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { courses, lessons, videos } from '../../../db/schema.ts';
import type { StorageLocation } from '../../lib/config.ts';
import type { ContentSync } from '../../lib/contracts.ts';
import { log } from '../../lib/log.ts';
import { storageAt, type Storage } from '../../lib/storage.ts';
import { loadCourse } from './courses.ts';

/** The message that tells another jurisdiction the current state of a published (or withdrawn) course. */
export async function contentSyncFor(db: NeonDatabase, courseId: string, origin: string, traceparent: string): Promise<ContentSync> {
  const course = await loadCourse(db, courseId);
  const courseLessons = await db.select().from(lessons).where(eq(lessons.courseId, courseId)).orderBy(asc(lessons.position));
  const videoIds = courseLessons.flatMap((lesson) => (lesson.videoId ? [lesson.videoId] : []));
  const ready = videoIds.length > 0 ? await db.select().from(videos).where(and(inArray(videos.id, videoIds), eq(videos.status, 'ready'))) : [];
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
    },
    lessons: courseLessons.map(({ id, position, title, summary, isPreview, videoId, durationSeconds }) => ({ id, position, title, summary, isPreview, videoId, durationSeconds })),
    videos: ready.flatMap((video) =>
      video.outputPrefix
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
              durationSeconds: video.durationSeconds,
              width: video.width,
              height: video.height,
              renditions: video.renditions,
            },
          ]
        : [],
    ),
  };
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

/**
 * Applies a replicated course: media first (a course never shows before its videos are here), then
 * the rows, only if the message is newer than what this jurisdiction has. Replays change nothing.
 */
export async function applyContentSync(db: NeonDatabase, storage: Storage, sources: Record<string, StorageLocation>, message: ContentSync): Promise<boolean> {
  const source = sources[message.origin];
  if (message.action === 'upsert' && message.videos.length > 0) {
    if (!source) throw new Error(`no storage location configured for jurisdiction "${message.origin}" (REPLICATION_SOURCES)`);
    const from = storageAt(source);
    for (const video of message.videos) {
      const copied = await copyPrefix(from, storage, video.outputPrefix);
      log('info', 'replicated media', { courseId: message.course.id, prefix: video.outputPrefix, copied });
    }
  }
  const { course } = message;
  return db.transaction(async (tx) => {
    const [current] = await tx.select({ version: courses.version, origin: courses.originJurisdiction }).from(courses).where(eq(courses.id, course.id)).limit(1);
    if (current && (current.version >= course.version || current.origin !== message.origin)) return false;
    const slugOwner = await tx.select({ id: courses.id }).from(courses).where(and(eq(courses.slug, course.slug), sql`${courses.id} <> ${course.id}`)).limit(1);
    const row = {
      ...course,
      // A local course already has this slug: the replica keeps its own, marked with its origin.
      slug: slugOwner.length > 0 ? `${course.slug}-${message.origin}` : course.slug,
      publishedAt: course.publishedAt ? new Date(course.publishedAt) : null,
      status: message.action === 'upsert' ? ('published' as const) : ('draft' as const),
      originJurisdiction: message.origin,
      instructorId: null,
      updatedAt: new Date(),
    };
    await tx.insert(courses).values(row).onConflictDoUpdate({ target: courses.id, set: row });
    const keep = message.lessons.map((lesson) => lesson.id);
    await tx.delete(lessons).where(keep.length > 0 ? and(eq(lessons.courseId, course.id), notInArray(lessons.id, keep)) : eq(lessons.courseId, course.id));
    for (const lesson of message.lessons) {
      const values = { ...lesson, courseId: course.id, updatedAt: new Date() };
      await tx.insert(lessons).values(values).onConflictDoUpdate({ target: lessons.id, set: values });
    }
    // Ready to play here too: no uploader (that account stays home) and no raw source.
    for (const video of message.videos) {
      const values = { ...video, courseId: course.id, uploaderId: null, status: 'ready' as const, sourceKey: '', progressPercent: 100, updatedAt: new Date() };
      await tx.insert(videos).values(values).onConflictDoUpdate({ target: videos.id, set: values });
    }
    return true;
  });
}
