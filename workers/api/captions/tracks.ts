import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import type { z } from 'zod';
import { captionCues, captionTracks } from '../../../db/schema.ts';
import { isRightToLeft } from '../../../contracts/captions.ts';
import { toWebVtt, type Cue } from '../../../contracts/webvtt.ts';
import { cuePlainText, parseCaptions } from '../../lib/captions.ts';
import { notFound } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import type { Storage } from '../../lib/storage.ts';
import { touchCourse } from '../catalog/courses.ts';
import type { Video } from '../videos/playback.ts';
import type { CaptionChanges, CaptionTrack, CaptionUpload } from './schemas.ts';

export type Track = typeof captionTracks.$inferSelect;
type Transaction = Parameters<Parameters<NeonDatabase['transaction']>[0]>[0];

/** Versioned: a saved file never changes, so caches keep it for good and a new save is a new key. */
export function captionKey(videoId: string, trackId: string, version: number): string {
  return `captions/${videoId}/${trackId}/${version}.vtt`;
}

/** A track's files as the media route serves them, under the video's published job folder. */
export function subtitleFile(track: Pick<Track, 'id' | 'version'>, kind: 'vtt' | 'm3u8'): string {
  return `captions/${track.id}/${track.version}.${kind}`;
}

export function directionOf(language: string): 'ltr' | 'rtl' {
  return isRightToLeft(language) ? 'rtl' : 'ltr';
}

export function trackView(track: Track): CaptionTrack {
  const { id, videoId, language, label, isDefault, version, cueCount, source, updatedAt } = track;
  return { id, videoId, language, label, isDefault, version, cueCount, source, direction: directionOf(language), updatedAt: updatedAt.toISOString() };
}

export async function tracksOf(db: NeonDatabase, videoId: string): Promise<Track[]> {
  return db.select().from(captionTracks).where(eq(captionTracks.videoId, videoId)).orderBy(asc(captionTracks.language));
}

export async function loadTrack(db: NeonDatabase, videoId: string, language: string): Promise<Track> {
  const [track] = await db.select().from(captionTracks).where(and(eq(captionTracks.videoId, videoId), eq(captionTracks.language, language))).limit(1);
  if (!track) throw notFound(`caption track "${language}" of this video`);
  return track;
}

/**
 * A track's cues as plain text with their search vectors, replacing any it had, and the track's
 * whole-text vector that ranks lessons. Both are normalized and stemmed as queries are (kce_search_normalize).
 */
export async function indexCues(tx: Transaction, trackId: string, language: string, cues: readonly Cue[]): Promise<void> {
  await tx.delete(captionCues).where(eq(captionCues.trackId, trackId));
  const texts = cues.map((cue) => cuePlainText(cue.text));
  // One statement, whatever the number of cues: each column travels as one array parameter.
  await tx.execute(sql`
    insert into caption_cues (track_id, position, start_ms, end_ms, text, search)
    select ${trackId}, cue.position - 1, cue.start_ms, cue.end_ms, cue.text, to_tsvector(kce_search_config(${language}), kce_search_normalize(cue.text))
    from unnest(${sql.param(cues.map((cue) => cue.startMs))}::int[], ${sql.param(cues.map((cue) => cue.endMs))}::int[], ${sql.param(texts)}::text[]) with ordinality as cue(start_ms, end_ms, text, position)`);
  await tx
    .update(captionTracks)
    .set({ search: sql`to_tsvector(kce_search_config(${language}), kce_search_normalize(${texts.join('\n')}))` })
    .where(eq(captionTracks.id, trackId));
}

/** Only one default track per video. */
async function soleDefault(tx: Transaction, track: Pick<Track, 'id' | 'videoId' | 'isDefault'>): Promise<void> {
  if (track.isDefault) await tx.update(captionTracks).set({ isDefault: false }).where(and(eq(captionTracks.videoId, track.videoId), ne(captionTracks.id, track.id)));
}

/**
 * Parses the upload (refusing it with the line and the reason), then in one transaction takes the
 * next version of the video's track in this language, writes its normalized WebVTT under the new
 * key, and indexes its cues: a failure anywhere leaves the previous version as it was. The file
 * of the version before is deleted after.
 */
export async function saveTrack(
  db: NeonDatabase,
  storage: Storage,
  video: Video,
  language: string,
  upload: z.output<typeof CaptionUpload>,
  origin: string,
): Promise<{ track: Track; created: boolean }> {
  const cues = parseCaptions(upload.content, { durationMs: video.durationSeconds === null ? null : Math.round(video.durationSeconds * 1000) });
  const { track, created } = await db.transaction(async (tx) => {
    const [saved] = await tx
      .insert(captionTracks)
      .values({ videoId: video.id, courseId: video.courseId, originJurisdiction: origin, language, label: upload.label, isDefault: upload.isDefault, storageKey: '', cueCount: cues.length, search: sql`''::tsvector` })
      .onConflictDoUpdate({
        target: [captionTracks.videoId, captionTracks.language],
        set: { label: upload.label, isDefault: upload.isDefault, version: sql`${captionTracks.version} + 1`, cueCount: cues.length, updatedAt: new Date() },
      })
      .returning();
    if (!saved) throw new Error('the caption track upsert returned no row');
    const storageKey = captionKey(video.id, saved.id, saved.version);
    await storage.s3.send(
      new PutObjectCommand({ Bucket: storage.bucket, Key: storageKey, Body: toWebVtt(cues), ContentType: 'text/vtt; charset=utf-8', CacheControl: 'public, max-age=31536000, immutable' }),
    );
    await tx.update(captionTracks).set({ storageKey }).where(eq(captionTracks.id, saved.id));
    await indexCues(tx, saved.id, language, cues);
    await soleDefault(tx, saved);
    await touchCourse(tx, video.courseId);
    return { track: { ...saved, storageKey }, created: saved.version === 1 };
  });
  if (!created) await forgetFile(storage, captionKey(video.id, track.id, track.version - 1));
  return { track, created };
}

export async function changeTrack(db: NeonDatabase, track: Track, changes: z.output<typeof CaptionChanges>): Promise<Track> {
  return db.transaction(async (tx) => {
    const [changed] = await tx
      .update(captionTracks)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(captionTracks.id, track.id))
      .returning();
    if (!changed) throw notFound('caption track');
    await soleDefault(tx, changed);
    await touchCourse(tx, track.courseId);
    return changed;
  });
}

export async function deleteTrack(db: NeonDatabase, storage: Storage, track: Track): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(captionTracks).where(eq(captionTracks.id, track.id));
    await touchCourse(tx, track.courseId);
  });
  await forgetFile(storage, track.storageKey);
}

/** The cues of the track's current version, as stored, for the editor. */
export async function readCues(storage: Storage, track: Pick<Track, 'storageKey'>): Promise<Cue[]> {
  const object = await storage.s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: track.storageKey }));
  return parseCaptions((await object.Body?.transformToString('utf-8')) ?? '', { durationMs: null });
}

/** A file no row names any more: its loss costs nothing, so a failure is logged, not raised. */
async function forgetFile(storage: Storage, key: string): Promise<void> {
  await storage.s3.send(new DeleteObjectCommand({ Bucket: storage.bucket, Key: key })).catch((error: unknown) => log('warn', 'an old caption file was not deleted', { key, error: String(error) }));
}
