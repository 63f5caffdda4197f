import { GetObjectCommand } from '@aws-sdk/client-s3';
import { and, eq } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { captionTracks, videos } from '../../../db/schema.ts';
import { MASTER_PLAYLIST, PLAYLIST_TYPE, PUBLISHED_TYPES } from '../../../contracts/media.ts';
import { DOWNLOAD } from '../../../contracts/transcoder.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import type { ApiEnv } from '../context.ts';
import { documented } from '../openapi.ts';
import { subtitlePlaylist, withSubtitles } from '../captions/playlists.ts';
import { captionKey, tracksOf } from '../captions/tracks.ts';
import { captionFileOf, mediaFile, type CaptionFile } from '../videos/media-paths.ts';
import { verifyMediaToken } from '../videos/media-tokens.ts';

const refused = () => new AppError('invalid_media_token', 'This media link is not valid or has expired: ask for a new playback URL.');

/** Files of a job never change once written, unless storage says otherwise (a growing playlist does). */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Segments and playlists are small; a long lecture's MP4 is not, and is read with ranges anyway. */
const CACHED_MAX_BYTES = 64 * 1024 ** 2;

/** The edge cache's key for a file: without the token, so every viewer shares one copy. */
const cacheKey = (key: string) => new Request(`https://media.kce.invalid/${key}`);

/**
 * `/media/{token}/{videoId}/{jobId}/...`: published renditions. The token is checked first, then
 * the file comes from the Workers cache (keyed without the token) or from storage, which fills it.
 * Storage's own `Cache-Control`, when a file has one, decides how long it is kept; Range
 * requests are answered from the cached copy, or passed to storage on a miss. Refusals are never cached.
 */
export const mediaRoutes = new Hono<ApiEnv>()
  .use(async (c, next) => {
    await next();
    if (c.res.status >= 400) c.header('cache-control', 'no-store');
  })
  .get(
    '/:token/:videoId/:jobId/*',
    documented({
      summary: 'A published media file (playlist, segment, poster, storyboard, download, caption track) under a signed playback URL',
      description: 'The path after the job id names the file; `captions/{trackId}/{version}.vtt` (or `.m3u8`) a caption track. The master lists the video’s caption tracks as a SUBTITLES group. Range requests are answered with 206. Cached at the edge without the token.',
      tags: ['videos'],
      access: 'public',
      answers: { 200: 'file', 206: 'file' },
      refuses: ['invalid_media_path', 'invalid_media_token', 'not_found', 'range_not_satisfiable'],
    }),
    async (c) => {
      // The still-encoded path: after `/media/`, token, ids and file name (see mediaFile).
      const { token, videoId, jobId, key } = mediaFile(new URL(c.req.url).pathname.split('/').slice(2));
      if (!(await verifyMediaToken(c.var.services.config.JWT_SECRET, token, videoId, jobId, Math.floor(Date.now() / 1000)))) throw refused();
      const caption = captionFileOf(key);
      if (caption?.kind === 'm3u8') return c.body(await subtitles(c, videoId, caption), 200, { 'content-type': PLAYLIST_TYPE, 'cache-control': IMMUTABLE });
      // The master is rewritten whole: a range of it (ffmpeg asks for `bytes=0-`) is answered with all of it.
      if (key.endsWith(`/${MASTER_PLAYLIST}`)) return withCaptionTracks(c, await storedFile(c, key, videoId, undefined), videoId);
      return storedFile(c, caption ? captionKey(videoId, caption.trackId, caption.version) : key, videoId, c.req.header('range'));
    },
  );

/** From the Workers cache (keyed without the token), or from storage, which fills it. */
async function storedFile(c: Context<ApiEnv>, key: string, videoId: string, range: string | undefined): Promise<Response> {
  const edge = caches.default;
  const cached = await edge.match(new Request(cacheKey(key), { headers: range ? { range } : {} }));
  if (cached) return withCacheState(cached, 'hit');
  const storage = c.var.services.storage();
  const object = await storage.s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key, Range: range })).catch((error: unknown) => {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) throw notFound('such media file');
    if (status === 416) throw new AppError('range_not_satisfiable', `The range ${range ?? ''} is outside the file.`);
    throw error;
  });
  const headers = new Headers({
    'content-type': PUBLISHED_TYPES.get(key.split('.').pop() ?? '') ?? 'application/octet-stream',
    'cache-control': object.CacheControl ?? IMMUTABLE,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
  });
  if (object.ContentLength !== undefined) headers.set('content-length', String(object.ContentLength));
  if (object.ContentRange) headers.set('content-range', object.ContentRange);
  if (object.ETag) headers.set('etag', object.ETag);
  // The offline copy saves as a file when opened directly.
  if (key.endsWith(`/${DOWNLOAD}`)) headers.set('content-disposition', `attachment; filename="${videoId}.mp4"`);
  const response = new Response(object.Body?.transformToWebStream() ?? null, { status: object.ContentRange ? 206 : 200, headers });
  if (response.status === 200 && (object.ContentLength ?? Infinity) <= CACHED_MAX_BYTES) {
    c.executionCtx.waitUntil(edge.put(cacheKey(key), response.clone()).catch((error: unknown) => log('warn', 'media file not cached', { key, error: String(error) })));
  }
  return withCacheState(response, 'miss');
}

/**
 * The master with the video's current caption tracks. The edge keeps only the stored master; the
 * tracks are added per request, and a browser's copy lives under one playback token, so a changed
 * track shows on the next playback. The database away, it is the master without them: the video still plays.
 */
async function withCaptionTracks(c: Context<ApiEnv>, master: Response, videoId: string): Promise<Response> {
  if (master.status !== 200) return master;
  const text = await master.text();
  const tracks = await tracksOf(c.var.services.database().db, videoId).catch((error: unknown) => {
    log('warn', 'caption tracks left out of a master playlist: the database did not answer', { videoId, error: String(error) });
    return [];
  });
  const headers = new Headers(master.headers);
  headers.delete('content-length');
  return new Response(withSubtitles(text, tracks), { status: 200, headers });
}

/** A caption track's media playlist, for its current version only (an old version's file is gone). */
async function subtitles(c: Context<ApiEnv>, videoId: string, file: CaptionFile): Promise<string> {
  const { db } = c.var.services.database();
  const [row] = await db
    .select({ track: captionTracks, durationSeconds: videos.durationSeconds })
    .from(captionTracks)
    .innerJoin(videos, eq(videos.id, captionTracks.videoId))
    .where(and(eq(captionTracks.id, file.trackId), eq(captionTracks.videoId, videoId), eq(captionTracks.version, file.version)))
    .limit(1);
  if (!row || row.durationSeconds === null) throw notFound('such media file');
  return subtitlePlaylist(row.track, row.durationSeconds);
}

function withCacheState(response: Response, state: 'hit' | 'miss'): Response {
  const answer = new Response(response.body, response);
  answer.headers.set('x-cache', state);
  return answer;
}
