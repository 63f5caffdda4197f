import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { lessons, videos } from '../../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';
import { touchCourse } from './courses.ts';

type Video = typeof videos.$inferSelect;
type Transaction = Parameters<Parameters<NeonDatabase['transaction']>[0]>[0];

/**
 * A lesson shows only a video uploaded for its own course in this jurisdiction: anything else would
 * let an instructor publish (and replicate) another course's private video.
 */
export async function assertAttachable(db: Pick<NeonDatabase, 'select'>, courseId: string, videoId: string, jurisdiction: string): Promise<void> {
  const [video] = await db
    .select({ id: videos.id })
    .from(videos)
    .where(and(eq(videos.id, videoId), eq(videos.courseId, courseId), eq(videos.originJurisdiction, jurisdiction)))
    .limit(1);
  if (!video) throw new AppError('invalid_video', 'Only a video uploaded for this course can be attached to its lessons.', { field: 'videoId' });
}

/** A new upload for a lesson without a video is its video at once (a replacement waits until it is playable). */
export async function attachUpload(db: NeonDatabase, video: Pick<Video, 'id' | 'courseId'> & { lessonId: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const attached = await tx
      .update(lessons)
      .set({ videoId: video.id, updatedAt: new Date() })
      .where(and(eq(lessons.id, video.lessonId), eq(lessons.courseId, video.courseId), isNull(lessons.videoId)))
      .returning({ id: lessons.id });
    if (attached.length > 0) await touchCourse(tx, video.courseId);
  });
}

/**
 * A video just became playable or ready: it replaces the video of the lesson it was uploaded for.
 * True when a lesson shows it, so the course changed for learners and replicas (which receive only ready videos).
 */
export async function showVideo(tx: Transaction, video: Video): Promise<boolean> {
  if (video.lessonId) {
    await tx
      .update(lessons)
      .set({ videoId: video.id, updatedAt: new Date() })
      .where(and(eq(lessons.id, video.lessonId), eq(lessons.courseId, video.courseId)));
  }
  const [shown] = await tx.select({ id: lessons.id }).from(lessons).where(eq(lessons.videoId, video.id)).limit(1);
  if (!shown) return false;
  await touchCourse(tx, video.courseId);
  return true;
}

/**
 * A video is no longer played (it runs again, or failed): the lesson it was uploaded for, if it shows
 * it, goes back to the newest ready video uploaded for that lesson, so a failed replacement leaves
 * the lesson as it was. Replicas received only ready videos, so they never showed this one.
 */
export async function showPrevious(tx: Transaction, video: Video): Promise<void> {
  if (!video.lessonId) return;
  const [previous] = await tx
    .select({ id: videos.id })
    .from(videos)
    .where(and(eq(videos.lessonId, video.lessonId), eq(videos.status, 'ready'), ne(videos.id, video.id)))
    .orderBy(desc(videos.updatedAt))
    .limit(1);
  if (!previous) return;
  const restored = await tx
    .update(lessons)
    .set({ videoId: previous.id, updatedAt: new Date() })
    .where(and(eq(lessons.id, video.lessonId), eq(lessons.videoId, video.id)))
    .returning({ id: lessons.id });
  if (restored.length > 0) await touchCourse(tx, video.courseId);
}

/** Whether any lesson shows this video: then changing the video changes the catalog. */
export async function isShown(db: Pick<NeonDatabase, '$count'>, videoId: string): Promise<boolean> {
  return (await db.$count(lessons, eq(lessons.videoId, videoId))) > 0;
}
