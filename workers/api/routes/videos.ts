import { and, eq } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { lessons } from '../../../db/schema.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, TranscodeEvent, verifyEvent } from '../../../contracts/transcoder.ts';
import { AppError, type ErrorCode } from '../../lib/errors.ts';
import { unwrap } from '../../lib/rpc.ts';
import { assertCanEdit, loadCourse } from '../catalog/courses.ts';
import type { ApiEnv } from '../context.ts';
import { optionalUser, requireRole, requireUser } from '../middleware/auth.ts';
import { documented } from '../openapi.ts';
import { limitBody, valid } from '../validation.ts';
import { tracksOf } from '../captions/tracks.ts';
import { assertManages, assertMayWatch, courseVideo, loadVideo, playbackFor, videoStatus } from '../videos/playback.ts';
import { PartUrls, Playback, UploadedParts, UploadStarted, VideoStatus } from '../videos/schemas.ts';
import { abortUpload, assertPartsOf, CompletedParts, finishUpload, NewUpload, PartNumbers, partUrls, sourceKey, startUpload, uploadedParts } from '../videos/uploads.ts';

const VideoIdParam = z.object({ id: z.uuid() });
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A route on one video, for its uploader, its course's instructor or an admin (`managedVideo`). */
const managing = (summary: string, answers: Parameters<typeof documented>[0]['answers'], refuses: ErrorCode[] = []) =>
  documented({ summary, tags: ['videos'], access: 'signed-in', answers, refuses: ['invalid_request', 'not_found', 'forbidden', ...refuses] });

/** Signed playback URLs, for anyone who may watch (a preview lesson, an enrolled learner, the course's staff). */
const watching = (summary: string) =>
  documented({ summary, tags: ['videos'], access: 'optional', answers: { 200: Playback }, refuses: ['invalid_request', 'not_found', 'unauthenticated', 'forbidden', 'video_not_ready'] });

function multipartOnly(uploadId: string | null): string {
  if (!uploadId) throw new AppError('not_multipart', 'This upload is a single PUT, or it is already complete: it has no parts.');
  return uploadId;
}

/** The video of the route's `:id`, for its uploader, its course's instructor or an admin. */
async function managedVideo(c: Context<ApiEnv>, id: string) {
  const { db } = c.var.services.database();
  const video = await loadVideo(db, id);
  await assertManages(db, video, c.var.user);
  return video;
}

export const videosRoutes = new Hono<ApiEnv>()
  .post(
    '/upload',
    documented({
      summary: 'Start a video upload: a presigned PUT, or a multipart upload for large files',
      tags: ['videos'],
      access: 'signed-in',
      answers: { 201: UploadStarted },
      refuses: ['invalid_request', 'payload_too_large', 'forbidden', 'video_too_large', 'not_found', 'replica_read_only', 'cache_unavailable'],
    }),
    limitBody(8 * 1024), requireUser, requireRole('instructor', 'admin'), valid('json', NewUpload), async (c) => {
    const upload = c.req.valid('json');
    const { config, database, storage } = c.var.services;
    if (upload.sizeBytes > config.VIDEO_MAX_BYTES) {
      throw new AppError('video_too_large', `Videos may be at most ${config.VIDEO_MAX_BYTES} bytes; this one has ${upload.sizeBytes}.`, { maxBytes: config.VIDEO_MAX_BYTES });
    }
    const { db } = database();
    assertCanEdit(await loadCourse(db, upload.courseId), c.var.user, config.JURISDICTION);
    if (upload.lessonId) {
      const [lesson] = await db.select({ id: lessons.id }).from(lessons).where(and(eq(lessons.id, upload.lessonId), eq(lessons.courseId, upload.courseId))).limit(1);
      if (!lesson) throw new AppError('not_found', `Lesson "${upload.lessonId}" is not part of this course.`);
    }
    const id = crypto.randomUUID();
    const key = sourceKey(id, upload.contentType);
    const { target, uploadId } = await startUpload(storage(), key, upload);
    const { courseId, filename, contentType, sizeBytes } = upload;
    const fields = { id, courseId, lessonId: upload.lessonId ?? null, uploaderId: c.var.user.sub, filename, contentType, sizeBytes, sourceKey: key, uploadId };
    unwrap(await c.env.MEDIA.createUpload({ v: 1, traceparent: c.var.trace.traceparent, ...fields }));
    return c.json({ videoId: id, status: 'awaiting_upload', upload: target }, 201);
  })
  // The transcoder's signed callbacks: no user, the HMAC over the raw body is the credential.
  .post(
    '/transcoder-events',
    documented({
      summary: 'The transcoder’s signed job events (HMAC over the raw body; no user)',
      tags: ['videos'],
      access: 'public',
      answers: { 204: null },
      refuses: ['payload_too_large', 'invalid_signature', 'invalid_request'],
    }),
    limitBody(256 * 1024), async (c) => {
    const body = await c.req.text();
    const authentic = await verifyEvent(c.var.services.config.TRANSCODER_CALLBACK_SECRET, c.req.header(TIMESTAMP_HEADER), body, c.req.header(SIGNATURE_HEADER), nowSeconds());
    if (!authentic) throw new AppError('invalid_signature', 'The callback is not signed with the transcoder key, or it is too old.');
    const event = TranscodeEvent.safeParse(JSON.parse(body));
    if (!event.success) throw new AppError('invalid_request', `The event does not match the transcoder contract: ${event.error.message}`);
    await c.env.MEDIA.recordTranscodeEvent({ v: 1, traceparent: c.var.trace.traceparent, event: event.data });
    return c.body(null, 204);
  })
  .post('/:id/parts', managing('Presigned URLs for parts of a multipart upload', { 200: PartUrls }, ['not_multipart', 'invalid_part_number']), requireUser, valid('param', VideoIdParam), valid('json', PartNumbers), async (c) => {
    const video = await managedVideo(c, c.req.valid('param').id);
    const uploadId = multipartOnly(video.uploadId);
    const { partNumbers } = c.req.valid('json');
    assertPartsOf(video.sizeBytes, partNumbers, 'partNumbers');
    const parts = await partUrls(c.var.services.storage(), video.sourceKey, uploadId, partNumbers);
    return c.json({ parts });
  })
  .get('/:id/parts', managing('The parts storage has received (to resume an upload)', { 200: UploadedParts }, ['not_multipart', 'upload_expired']), requireUser, valid('param', VideoIdParam), async (c) => {
    const video = await managedVideo(c, c.req.valid('param').id);
    return c.json({ parts: await uploadedParts(c.var.services.storage(), video.sourceKey, multipartOnly(video.uploadId)) });
  })
  .post(
    '/:id/complete',
    managing('Finish an upload; the video is queued for transcoding', { 202: VideoStatus }, [
      'payload_too_large',
      'invalid_part_number',
      'invalid_parts',
      'upload_expired',
      'upload_missing',
      'upload_size_mismatch',
    ]),
    limitBody(1024 * 1024), requireUser, valid('param', VideoIdParam), valid('json', CompletedParts), async (c) => {
    const id = c.req.valid('param').id;
    const video = await managedVideo(c, id);
    if (video.status === 'awaiting_upload') await finishUpload(c.var.services.storage(), video.sourceKey, video.uploadId, c.req.valid('json').parts, video.sizeBytes);
    return c.json(videoStatus(unwrap(await c.env.MEDIA.uploaded({ v: 1, traceparent: c.var.trace.traceparent, videoId: id }))), 202);
  })
  .delete('/:id/upload', managing('Cancel an unfinished upload', { 204: null }, ['upload_complete']), requireUser, valid('param', VideoIdParam), async (c) => {
    const video = await managedVideo(c, c.req.valid('param').id);
    if (video.status !== 'awaiting_upload') throw new AppError('upload_complete', `The upload is already complete (the video is ${video.status}).`);
    await abortUpload(c.var.services.storage(), video.sourceKey, video.uploadId);
    unwrap(await c.env.MEDIA.cancelUpload({ v: 1, traceparent: c.var.trace.traceparent, videoId: video.id }));
    return c.body(null, 204);
  })
  .post('/:id/cancel', managing('Cancel a video’s processing: it is no longer played, every task of its job stops, and it can run again', { 200: VideoStatus }, ['not_processing', 'cache_unavailable']), requireUser, valid('param', VideoIdParam), async (c) => {
    const video = await managedVideo(c, c.req.valid('param').id);
    return c.json(videoStatus(unwrap(await c.env.MEDIA.cancelTranscode({ v: 1, traceparent: c.var.trace.traceparent, videoId: video.id }))));
  })
  .post('/:id/retry', managing('Process a failed or cancelled video again, from its stored source', { 202: VideoStatus }, ['not_retryable']), requireUser, valid('param', VideoIdParam), async (c) => {
    const video = await managedVideo(c, c.req.valid('param').id);
    return c.json(videoStatus(unwrap(await c.env.MEDIA.retryTranscode({ v: 1, traceparent: c.var.trace.traceparent, videoId: video.id }))), 202);
  })
  .get('/:id', managing('A video’s processing status', { 200: VideoStatus }), requireUser, valid('param', VideoIdParam), async (c) => {
    const video = await managedVideo(c, c.req.valid('param').id);
    return c.json(videoStatus(video));
  })
  .get('/:id/playback', watching('Signed playback URLs of a video'), optionalUser, valid('param', VideoIdParam), async (c) => {
    const { config, database } = c.var.services;
    const video = await loadVideo(database().db, c.req.valid('param').id);
    await assertMayWatch(database().db, video, c.var.viewer);
    return c.json(await playbackFor(video, await tracksOf(database().db, video.id), new URL(c.req.url).origin, config.JWT_SECRET, nowSeconds()));
  });

/** `GET /api/courses/:id/video`: the signed playback of a course's first ready lesson video, or `?lessonId=`'s. */
export const courseVideoRoutes = new Hono<ApiEnv>().get('/:id/video', watching('Signed playback of a course’s first lesson video with one, or of `?lessonId=`’s'), optionalUser, valid('param', VideoIdParam), valid('query', z.object({ lessonId: z.uuid().optional() })), async (c) => {
  const { config, database } = c.var.services;
  const video = await courseVideo(database().db, c.req.valid('param').id, c.req.valid('query').lessonId);
  await assertMayWatch(database().db, video, c.var.viewer);
  return c.json(await playbackFor(video, await tracksOf(database().db, video.id), new URL(c.req.url).origin, config.JWT_SECRET, nowSeconds()));
});
