import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Hono } from 'hono';
import { AppError } from '../../lib/errors.ts';
import type { ApiEnv } from '../context.ts';
import { mediaFile } from '../videos/media-paths.ts';
import { verifyMediaToken } from '../videos/media-tokens.ts';

const CONTENT_TYPES = new Map([
  ['m3u8', 'application/vnd.apple.mpegurl'],
  ['m4s', 'video/iso.segment'],
  ['mp4', 'video/mp4'],
  ['ts', 'video/mp2t'],
  ['jpg', 'image/jpeg'],
  ['vtt', 'text/vtt'],
]);

const refused = () => new AppError('invalid_media_token', 403, 'This media link is not valid or has expired: ask for a new playback URL.');

/**
 * `/media/{token}/{videoId}/{jobId}/...`: published renditions, straight from storage. Keys are
 * per job and never rewritten, so the CDN may keep them for a year; Range requests pass through.
 * Refusals are never cached.
 */
export const mediaRoutes = new Hono<ApiEnv>()
  .use(async (c, next) => {
    await next();
    if (c.res.status >= 400) c.header('cache-control', 'no-store');
  })
  .get('/:token/:videoId/:jobId/*', async (c) => {
    // The still-encoded path: after `/media/`, token, ids and file name (see mediaFile).
    const { token, videoId, jobId, key } = mediaFile(new URL(c.req.url).pathname.split('/').slice(2));
    if (!(await verifyMediaToken(c.var.services.config.JWT_SECRET, token, videoId, jobId, Math.floor(Date.now() / 1000)))) throw refused();
    const storage = c.var.services.storage();
    const range = c.req.header('range');
    const object = await storage.s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key, Range: range })).catch((error: unknown) => {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) throw new AppError('not_found', 404, 'There is no such media file.');
      if (status === 416) throw new AppError('range_not_satisfiable', 416, `The range ${range ?? ''} is outside the file.`);
      throw error;
    });
    const headers = new Headers({
      'content-type': CONTENT_TYPES.get(key.split('.').pop() ?? '') ?? 'application/octet-stream',
      'cache-control': 'public, max-age=31536000, immutable',
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
    });
    if (object.ContentLength !== undefined) headers.set('content-length', String(object.ContentLength));
    if (object.ContentRange) headers.set('content-range', object.ContentRange);
    if (object.ETag) headers.set('etag', object.ETag);
    return new Response(object.Body?.transformToWebStream() ?? null, { status: object.ContentRange ? 206 : 200, headers });
  });
