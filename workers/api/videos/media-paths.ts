import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';

/** A file or folder name of a published rendition, after decoding: never `.`, `..`, a slash or a control. */
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
/** `master.m3u8`, `720p/segment_00001.m4s`, `storyboard/sprite.jpg`: never deeper. */
const MAX_DEPTH = 3;
const Id = z.uuid();

const invalid = () => new AppError('invalid_media_path', 'This media path does not name a published file.');

function decodeOnce(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid();
  }
}

export interface MediaFile {
  token: string;
  videoId: string;
  jobId: string;
  /** The storage key, built only from validated pieces: `media/{videoId}/{jobId}/{file}`. */
  key: string;
}

/**
 * Reads `{token}/{videoId}/{jobId}/{file...}` from the still-encoded path (Hono's `c.req.path` is
 * already partly decoded, and a second decode turns `%252f` into `/`): each segment is decoded
 * exactly once, then must be an id or a plain file name.
 */
export function mediaFile(encodedSegments: string[]): MediaFile {
  const [token, videoId, jobId, ...file] = encodedSegments.map(decodeOnce);
  if (!token || !Id.safeParse(videoId).success || !Id.safeParse(jobId).success) throw invalid();
  if (file.length === 0 || file.length > MAX_DEPTH || !file.every((name) => FILE_NAME.test(name))) throw invalid();
  return { token, videoId: videoId as string, jobId: jobId as string, key: `media/${videoId}/${jobId}/${file.join('/')}` };
}

/** The job whose renditions a video publishes, from its `media/{videoId}/{jobId}/` prefix. */
export function publishedJobOf(outputPrefix: string): string {
  const jobId = outputPrefix.split('/')[2];
  if (!jobId || !Id.safeParse(jobId).success) throw new Error(`not a published output prefix: ${outputPrefix}`);
  return jobId;
}

/** Request logs keep media paths without their token: a logged URL must not grant playback. */
export function loggedPath(path: string): string {
  return path.replace(/^\/media\/[^/]*/, '/media/[token]');
}

export interface CaptionFile {
  trackId: string;
  version: number;
  kind: 'vtt' | 'm3u8';
}

/**
 * `captions/{trackId}/{version}.vtt|m3u8` under a job's folder: a caption track of the video. Its
 * files are stored apart from any job (`captions/{videoId}/...`): a track outlives a new transcode.
 */
export function captionFileOf(key: string): CaptionFile | undefined {
  const [, trackId, version, kind] = /^media\/[^/]+\/[^/]+\/captions\/([^/]+)\/(\d{1,9})\.(vtt|m3u8)$/.exec(key) ?? [];
  if (!trackId || !Id.safeParse(trackId).success) return undefined;
  return { trackId, version: Number(version), kind: kind as CaptionFile['kind'] };
}
