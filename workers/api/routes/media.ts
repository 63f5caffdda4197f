import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Hono } from 'hono';
import { PUBLISHED_TYPES } from '../../../contracts/media.ts';
import { DOWNLOAD } from '../../../contracts/transcoder.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import type { ApiEnv } from '../context.ts';
import { documented } from '../openapi.ts';
import { mediaFile } from '../videos/media-paths.ts';
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
      summary: 'A published media file (playlist, segment, poster, storyboard, download) under a signed playback URL',
      description: 'The path after the job id names the file. Range requests are answered with 206. Cached at the edge without the token.',
      tags: ['videos'],
      access: 'public',
      answers: { 200: 'file', 206: 'file' },
      refuses: ['invalid_media_path', 'invalid_media_token', 'not_found', 'range_not_satisfiable'],
    }),
    async (c) => {
      // The still-encoded path: after `/media/`, token, ids and file name (see mediaFile).
      const { token, videoId, jobId, key } = mediaFile(new URL(c.req.url).pathname.split('/').slice(2));
      if (!(await verifyMediaToken(c.var.services.config.JWT_SECRET, token, videoId, jobId, Math.floor(Date.now() / 1000)))) throw refused();
      const range = c.req.header('range');
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
    },
  );

function withCacheState(response: Response, state: 'hit' | 'miss'): Response {
  const answer = new Response(response.body, response);
  answer.headers.set('x-cache', state);
  return answer;
}
