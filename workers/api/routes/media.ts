import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Hono } from 'hono';
import { AppError } from '../../lib/errors.ts';
import type { ApiEnv } from '../context.ts';
import { verifyMediaToken } from '../videos/media-tokens.ts';

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  ts: 'video/mp2t',
  jpg: 'image/jpeg',
  vtt: 'text/vtt',
};

const refused = () => new AppError('invalid_media_token', 403, 'This media link is not valid or has expired: ask for a new playback URL.');

/**
 * `/media/{token}/{videoId}/{jobId}/...`: published renditions, straight from storage. Keys are
 * per job and never rewritten, so the CDN may keep them for a year; Range requests pass through.
 */
export const mediaRoutes = new Hono<ApiEnv>().get('/:token/:videoId/*', async (c) => {
  const { token, videoId } = c.req.param();
  const rest = c.req.path.split('/').slice(4);
  if (!/^[0-9a-f-]{36}$/.test(videoId) || rest.length === 0 || rest.some((part) => part === '' || part === '.' || part === '..')) throw refused();
  if (!(await verifyMediaToken(c.var.services.config.JWT_SECRET, token, videoId, Math.floor(Date.now() / 1000)))) throw refused();
  const storage = c.var.services.storage();
  const key = `media/${videoId}/${rest.map(decodeURIComponent).join('/')}`;
  const range = c.req.header('range');
  const object = await storage.s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key, Range: range })).catch((error: unknown) => {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) throw new AppError('not_found', 404, 'There is no such media file.');
    if (status === 416) throw new AppError('range_not_satisfiable', 416, `The range ${range ?? ''} is outside the file.`);
    throw error;
  });
  const headers = new Headers({
    'content-type': CONTENT_TYPES[key.split('.').pop() ?? ''] ?? object.ContentType ?? 'application/octet-stream',
    'cache-control': 'public, max-age=31536000, immutable',
    'accept-ranges': 'bytes',
  });
  if (object.ContentLength !== undefined) headers.set('content-length', String(object.ContentLength));
  if (object.ContentRange) headers.set('content-range', object.ContentRange);
  if (object.ETag) headers.set('etag', object.ETag);
  return new Response(object.Body?.transformToWebStream() ?? null, { status: object.ContentRange ? 206 : 200, headers });
});
