import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ErrorCode } from '../../lib/errors.ts';
import { CAPTION_LIMITS } from '../../../contracts/captions.ts';
import { changeTrack, deleteTrack, loadTrack, readCues, saveTrack, tracksOf, trackView } from '../captions/tracks.ts';
import { CaptionChanges, CaptionTrack, CaptionTrackCues, CaptionTracks, CaptionUpload, LanguageParam } from '../captions/schemas.ts';
import type { ApiEnv } from '../context.ts';
import { requireUser } from '../middleware/auth.ts';
import { documented } from '../openapi.ts';
import { limitBody, valid } from '../validation.ts';
import { loadVideo } from '../videos/playback.ts';
import { assertEditor, editCourse } from './courses.ts';

const VideoIdParam = z.object({ id: z.uuid() });

/** A caption route on one video, for its course's instructor or an admin, at the course's home. */
const captioning = (summary: string, answers: Parameters<typeof documented>[0]['answers'], refuses: ErrorCode[] = []) =>
  documented({ summary, tags: ['captions'], access: 'signed-in', answers, refuses: ['invalid_request', 'not_found', 'forbidden', 'replica_read_only', 'cache_unavailable', ...refuses] });

const video = (c: Context<ApiEnv>, id: string) => loadVideo(c.var.services.database().db, id);

/** `/api/videos/:id/captions`: a video's caption tracks, one per language, each saved as new versions. */
export const captionsRoutes = new Hono<ApiEnv>()
  .get('/:id/captions', captioning('A video’s caption tracks', { 200: CaptionTracks }), requireUser, valid('param', VideoIdParam), async (c) => {
    const found = await video(c, c.req.valid('param').id);
    await assertEditor(c, found.courseId);
    return c.json({ items: (await tracksOf(c.var.services.database().db, found.id)).map(trackView) });
  })
  .get('/:id/captions/:language', captioning('A caption track with its cues (for the editor)', { 200: CaptionTrackCues }), requireUser, valid('param', LanguageParam), async (c) => {
    const { id, language } = c.req.valid('param');
    const found = await video(c, id);
    await assertEditor(c, found.courseId);
    const track = await loadTrack(c.var.services.database().db, found.id, language);
    return c.json({ ...trackView(track), cues: await readCues(c.var.services.storage(), track) });
  })
  .put(
    '/:id/captions/:language',
    captioning('Upload or replace the video’s caption track in a language (WebVTT or SRT); each save is a new version', { 200: CaptionTrack, 201: CaptionTrack }, ['invalid_captions', 'payload_too_large']),
    // The JSON envelope of a file at the limit: escaping can double it.
    limitBody(2 * CAPTION_LIMITS.maxBytes + 4096),
    requireUser,
    valid('param', LanguageParam),
    valid('json', CaptionUpload),
    async (c) => {
      const { id, language } = c.req.valid('param');
      const { config, database, storage } = c.var.services;
      const found = await video(c, id);
      const { track, created } = await editCourse(c, found.courseId, () => saveTrack(database().db, storage(), found, language, c.req.valid('json'), config.JURISDICTION));
      return c.json(trackView(track), created ? 201 : 200);
    },
  )
  .patch('/:id/captions/:language', captioning('Rename a caption track or make it the default', { 200: CaptionTrack }), requireUser, valid('param', LanguageParam), valid('json', CaptionChanges), async (c) => {
    const { id, language } = c.req.valid('param');
    const { db } = c.var.services.database();
    const found = await video(c, id);
    const changed = await editCourse(c, found.courseId, async () => changeTrack(db, await loadTrack(db, found.id, language), c.req.valid('json')));
    return c.json(trackView(changed));
  })
  .delete('/:id/captions/:language', captioning('Delete a caption track', { 204: null }), requireUser, valid('param', LanguageParam), async (c) => {
    const { id, language } = c.req.valid('param');
    const { database, storage } = c.var.services;
    const found = await video(c, id);
    await editCourse(c, found.courseId, async () => deleteTrack(database().db, storage(), await loadTrack(database().db, found.id, language)));
    return c.body(null, 204);
  });
