import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { courses, lessons, videos } from '../../../db/schema.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { mayStudy } from '../catalog/learning.ts';
import type { AccessClaims } from '../identity/tokens.ts';
import { publishedJobOf } from './media-paths.ts';
import { signMediaToken } from './media-tokens.ts';
import type { Playback } from './schemas.ts';
import { directionOf, subtitleFile, type Track } from '../captions/tracks.ts';

/** Long enough to watch a lesson; the player asks for a new one after. */
export const PLAYBACK_SECONDS = 60 * 60;

export type Video = typeof videos.$inferSelect;
type Viewer = Pick<AccessClaims, 'sub' | 'role'> | undefined;

export async function loadVideo(db: NeonDatabase, id: string): Promise<Video> {
  const [video] = await db.select().from(videos).where(eq(videos.id, id)).limit(1);
  if (!video) throw notFound(`video "${id}"`);
  return video;
}

/** The uploader, the course's instructor or an admin: who manages a video and sees its status. */
export async function assertManages(db: NeonDatabase, video: Video, user: Pick<AccessClaims, 'sub' | 'role'>): Promise<void> {
  if (user.role === 'admin' || video.uploaderId === user.sub) return;
  const [course] = await db.select({ instructorId: courses.instructorId }).from(courses).where(eq(courses.id, video.courseId)).limit(1);
  if (course?.instructorId !== user.sub) throw new AppError('forbidden', 'Only the video’s uploader, its course’s instructor or an admin can do this.');
}

/**
 * Who may watch: an admin, the course's instructor, a learner enrolled in it (entitled, when it is paid), and anyone when the
 * video is a preview lesson of a published course.
 */
export async function assertMayWatch(db: NeonDatabase, video: Video, viewer: Viewer): Promise<void> {
  const [course] = await db.select({ instructorId: courses.instructorId, status: courses.status }).from(courses).where(eq(courses.id, video.courseId)).limit(1);
  if (viewer && (viewer.role === 'admin' || course?.instructorId === viewer.sub)) return;
  if (course?.status === 'published') {
    const [preview] = await db
      .select({ id: lessons.id })
      .from(lessons)
      .where(and(eq(lessons.videoId, video.id), eq(lessons.courseId, video.courseId), eq(lessons.isPreview, true)))
      .limit(1);
    if (preview) return;
    if (viewer && (await mayStudy(db, viewer.sub, video.courseId))) return;
  }
  if (!viewer) throw new AppError('unauthenticated', 'Sign in to watch this video.');
  throw new AppError('forbidden', 'Enroll in the course (a paid one: buy it) to watch this video.');
}

/** What can be watched: a ready video, or a playable one while the rest of it is encoded. */
const WATCHABLE: Array<Video['status']> = ['playable', 'ready'];

/** The video of a course's first lesson that has one to watch, or of the named lesson. */
export async function courseVideo(db: NeonDatabase, courseId: string, lessonId: string | undefined): Promise<Video> {
  const [row] = await db
    .select({ video: videos })
    .from(lessons)
    .innerJoin(videos, eq(videos.id, lessons.videoId))
    .where(and(eq(lessons.courseId, courseId), lessonId ? eq(lessons.id, lessonId) : inArray(videos.status, WATCHABLE), isNotNull(lessons.videoId)))
    .orderBy(asc(lessons.position))
    .limit(1);
  if (!row) throw new AppError('not_found', lessonId ? `Lesson "${lessonId}" of this course has no video.` : 'This course has no video ready yet.');
  return row.video;
}

/** Signed URLs under `/media/{token}/`: the token sits in the path so HLS's relative URLs carry it; it grants the published job only. */
export async function playbackFor(video: Video, tracks: readonly Track[], origin: string, secret: string, nowSeconds: number): Promise<Playback> {
  const { status } = video;
  if ((status !== 'playable' && status !== 'ready') || !video.outputPrefix || !video.masterKey) {
    throw new AppError('video_not_ready', `The video is ${status.replace('_', ' ')}, not ready to watch yet.`, { status });
  }
  const expires = nowSeconds + PLAYBACK_SECONDS;
  const token = await signMediaToken(secret, video.id, publishedJobOf(video.outputPrefix), expires);
  const url = (key: string) => `${origin}/media/${token}/${key.replace(/^media\//, '')}`;
  const jobFolder = video.outputPrefix.replace(/\/$/, '');
  const ready = status === 'ready';
  return {
    videoId: video.id,
    status,
    percent: video.progressPercent,
    master: url(video.masterKey),
    poster: ready && video.posterKey ? url(video.posterKey) : null,
    storyboard: ready && video.storyboardImageKey && video.storyboardVttKey ? { image: url(video.storyboardImageKey), vtt: url(video.storyboardVttKey) } : null,
    download: ready && video.downloadKey ? url(video.downloadKey) : null,
    durationSeconds: video.durationSeconds,
    captions: tracks.map((track) => ({
      id: track.id,
      language: track.language,
      label: track.label,
      default: track.isDefault,
      direction: directionOf(track.language),
      url: url(`${jobFolder}/${subtitleFile(track, 'vtt')}`),
    })),
    expiresAt: new Date(expires * 1000).toISOString(),
  };
}

export function videoStatus(video: Video) {
  return {
    id: video.id,
    courseId: video.courseId,
    lessonId: video.lessonId,
    filename: video.filename,
    status: video.status,
    percent: video.progressPercent,
    attempts: video.attempts,
    error: video.errorCode ? { code: video.errorCode, message: video.errorMessage ?? '' } : null,
    durationSeconds: video.durationSeconds,
    width: video.width,
    height: video.height,
    renditions: video.renditions,
    createdAt: video.createdAt.toISOString(),
    updatedAt: video.updatedAt.toISOString(),
  };
}
