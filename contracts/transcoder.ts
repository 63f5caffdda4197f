import { z } from 'zod';
import { SOURCE_FAILURES } from './media.ts';

/**
 * The transcoder's HTTP contract, imported both by the transcoder and by the `media` Worker that
 * drives it. Only zod and WebCrypto here: this file runs in Node and in workerd alike.
 *
 * - `POST /jobs` with a `TranscodeJob` (and a `traceparent` header) → 202 `JobAccepted`. Posting a
 *   known jobId again never starts a second run; when that job has finished, its final event is
 *   delivered again.
 * - `GET /jobs/:jobId` → `JobStatus`, 404 when this transcoder does not know the job (e.g. it restarted).
 * - `DELETE /jobs/:jobId` → 204: the job is cancelled and everything under its output prefix removed.
 * - `POST /tasks` with a `ChunkTask` → 200, then a stream of `TaskLine`s (NDJSON): progress while
 *   the chunk is encoded, then its `ChunkManifest` or its failure. The segments and the manifest are
 *   in storage before the last line; a client that goes away cancels the task. A job's transcoder
 *   sends its chunks to the pool of transcoders (itself included) this way.
 * - Errors → `{ error: { code, message } }` (`TranscoderError`).
 * - Events are POSTed to the job's `callbackUrl` as `TranscodeEvent`, signed (see `signEvent`).
 */

const Name = z.string().min(1);
/** An S3 key prefix that names a folder: `media/{videoId}/{jobId}/`. */
const Prefix = z.string().regex(/^[^/]+(\/[^/]+)*\/$/, 'a folder path without a leading slash, ending with /');

export const TranscodeJob = z.object({
  v: z.literal(1),
  /** One run of the transcoder; a new attempt is a new job with its own output prefix. */
  jobId: z.uuid(),
  videoId: z.uuid(),
  attempt: z.int().nonnegative(),
  source: z.object({ bucket: Name, key: Name }),
  /** Job-specific, so a half-finished or cancelled job never mixes with a published one. */
  output: z.object({ bucket: Name, prefix: Prefix }),
  /** The jurisdiction's S3-compatible storage (path-style). */
  storage: z.object({ endpoint: z.url(), region: Name, accessKeyId: Name, secretAccessKey: Name }),
  /** Width and height apply in either orientation: a portrait 1080x1920 fits 1920x1080 limits. */
  limits: z.object({ maxDurationSeconds: z.number().positive(), maxWidth: z.int().positive(), maxHeight: z.int().positive() }),
  callbackUrl: z.url({ protocol: /^https?$/ }),
});
export type TranscodeJob = z.infer<typeof TranscodeJob>;

const ChunkSpan = z
  .object({
    index: z.int().nonnegative(),
    startSeconds: z.number().nonnegative(),
    endSeconds: z.number().positive(),
    firstSegment: z.int().nonnegative(),
  })
  .refine((chunk) => chunk.endSeconds > chunk.startSeconds, { message: 'a chunk ends after it starts', path: ['endSeconds'] });

/** One chunk of a job's video, every rung, encoded by any transcoder of the pool. */
export const ChunkTask = z.object({
  v: z.literal(1),
  jobId: z.uuid(),
  source: TranscodeJob.shape.source,
  output: TranscodeJob.shape.output,
  storage: TranscodeJob.shape.storage,
  /** What the job's probe found: which stream to read and its frame rate (the keyframe interval). */
  video: z.object({ videoStream: z.int().nonnegative(), fps: z.number().positive() }),
  renditions: z.array(z.object({ name: z.string().regex(/^\d{1,4}p$/), width: z.int().positive(), height: z.int().positive(), bitrate: z.int().positive() })).min(1),
  chunk: ChunkSpan,
  /** The last chunk reads to the end of the file rather than to its planned end, which a probe can misjudge. */
  last: z.boolean(),
});
export type ChunkTask = z.infer<typeof ChunkTask>;

/**
 * A stored chunk: its span, and per rendition its init segment (small, inline) and its segments as
 * stored under `{rendition}/`. What a job's transcoder needs to list the chunk in its playlists.
 */
export const ChunkManifest = z.object({
  startSeconds: z.number(),
  endSeconds: z.number(),
  renditions: z.record(
    z.string(),
    z.object({
      init: z.base64(),
      segments: z.array(z.object({ uri: z.string().regex(/^segment_\d+\.m4s$/), durationSeconds: z.number().positive(), bytes: z.int().positive() })).min(1),
    }),
  ),
});
export type ChunkManifest = z.infer<typeof ChunkManifest>;

export const JobAccepted = z.object({ jobId: z.uuid(), state: z.literal('accepted') });
export type JobAccepted = z.infer<typeof JobAccepted>;

export const FailureCode = z.enum([
  // The source itself is unusable: retrying cannot help.
  ...SOURCE_FAILURES,
  // Something around the source failed: another attempt may succeed.
  'storage_unavailable',
  'transcode_failed',
]);
export type FailureCode = z.infer<typeof FailureCode>;

export const TranscodeFailure = z.object({ code: FailureCode, message: z.string(), retryable: z.boolean() });
export type TranscodeFailure = z.infer<typeof TranscodeFailure>;

/** One line of a chunk task's answer: seconds encoded so far (also while it waits: 0), then the outcome. */
export const TaskLine = z.union([
  z.object({ seconds: z.number().nonnegative() }),
  z.object({ manifest: ChunkManifest }),
  z.object({ error: TranscodeFailure }),
]);
export type TaskLine = z.infer<typeof TaskLine>;

export const Rendition = z.object({
  /** `1080p`, `720p`, ...: the short side, so a portrait 1080x1920 rendition is `1080p` too. */
  name: z.string(),
  width: z.int().positive(),
  height: z.int().positive(),
  /** Peak segment bit rate in bits/s, as in the master playlist's BANDWIDTH. */
  bandwidth: z.int().positive(),
  /** RFC 6381 codecs, as in the master playlist's CODECS: `avc1.640028,mp4a.40.2`. */
  codecs: z.string(),
  /** The rendition's media playlist, relative to the result's prefix: `720p/index.m3u8`. */
  playlist: z.string(),
});
export type Rendition = z.infer<typeof Rendition>;

/** The result's `download`: the media route serves it as an attachment. */
export const DOWNLOAD = 'download.mp4';

/**
 * What a player needs, sent as soon as the first seconds of every rendition are published: the
 * playlists grow (EVENT) while the rest is encoded. Every file name is a key relative to `prefix`.
 */
export const PlayableResult = z.object({
  prefix: Prefix,
  master: z.string(),
  durationSeconds: z.number().positive(),
  /** The source's size as displayed (rotation applied). */
  width: z.int().positive(),
  height: z.int().positive(),
  /** Highest first. */
  renditions: z.array(Rendition).min(1),
});
export type PlayableResult = z.infer<typeof PlayableResult>;

/** The finished job: complete (VOD) playlists and the files made from the whole video. */
export const TranscodeResult = PlayableResult.extend({
  poster: z.string(),
  /** A sprite of thumbnails and the WebVTT that maps times to `image#xywh=x,y,w,h` tiles. */
  storyboard: z.object({ image: z.string(), vtt: z.string() }),
  /** One MP4 of a middle rung with the audio, for offline viewing. */
  download: z.string(),
});
export type TranscodeResult = z.infer<typeof TranscodeResult>;

export const JobState = z.enum(['running', 'uploading', 'done', 'failed']);
export type JobState = z.infer<typeof JobState>;

/** One part of a job's plan (some renditions of one chunk, encoded by one task) and how far it got. */
export const PartStatus = z.object({
  chunk: z.int().nonnegative(),
  startSeconds: z.number().nonnegative(),
  endSeconds: z.number().positive(),
  renditions: z.array(z.string().min(1)).min(1),
  state: z.enum(['waiting', 'running', 'done']),
});
export type PartStatus = z.infer<typeof PartStatus>;

export const JobStatus = z.object({
  jobId: z.uuid(),
  state: JobState,
  /** The plan once the source is probed: every part, those a lost run left done included. The job's coordinator keeps a copy. */
  parts: z.array(PartStatus).optional(),
  /** Of the encoding; 100 from `uploading` on. */
  percent: z.number().min(0).max(100),
  /** Present once the video can be watched: a caller that missed the `playable` callback still gets it. */
  playable: PlayableResult.optional(),
  /** Present once `done`: a caller that missed the `ready` callback still gets the result. */
  result: TranscodeResult.optional(),
  /** Present once `failed`. */
  error: TranscodeFailure.optional(),
});
export type JobStatus = z.infer<typeof JobStatus>;

const EventBase = { v: z.literal(1), jobId: z.uuid(), videoId: z.uuid(), attempt: z.int().nonnegative() };
export const TranscodeEvent = z.discriminatedUnion('type', [
  /** At most one every ~2 s while encoding; never retried (the next one supersedes it). */
  z.object({ ...EventBase, type: z.literal('progress'), percent: z.number().min(0).max(100) }),
  /** This and the final events are retried with backoff for about four minutes. */
  z.object({ ...EventBase, type: z.literal('playable'), result: PlayableResult }),
  z.object({ ...EventBase, type: z.literal('ready'), result: TranscodeResult }),
  z.object({ ...EventBase, type: z.literal('failed'), error: TranscodeFailure }),
]);
export type TranscodeEvent = z.infer<typeof TranscodeEvent>;

export const TranscoderError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type TranscoderError = z.infer<typeof TranscoderError>;

/** Callback headers besides `content-type` and `traceparent`. */
export const TIMESTAMP_HEADER = 'x-kce-timestamp';
export const SIGNATURE_HEADER = 'x-kce-signature';

const utf8 = new TextEncoder();

function hmacKey(secret: string, usage: 'sign' | 'verify') {
  return crypto.subtle.importKey('raw', utf8.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

/** Hex HMAC-SHA256 over `${timestamp}.${body}`, where timestamp is unix seconds. */
export async function signEvent(secret: string, timestamp: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), utf8.encode(`${timestamp}.${body}`));
  return Array.from(new Uint8Array(mac), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Whether a callback is authentic and fresh: the signature matches the raw body and the timestamp
 * is within the tolerance, so a captured callback cannot be replayed later. `crypto.subtle.verify`
 * compares in constant time. Takes the header values as they come (possibly absent).
 */
export async function verifyEvent(
  secret: string,
  timestamp: string | null | undefined,
  body: string,
  signature: string | null | undefined,
  nowSeconds: number,
  toleranceSeconds = 300,
): Promise<boolean> {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const mac = Uint8Array.from(signature.match(/../g) ?? [], (hex) => parseInt(hex, 16));
  return crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), mac, utf8.encode(`${timestamp}.${body}`));
}
