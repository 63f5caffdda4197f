/**
 * Media types, shared by the upload form, the api Worker and the transcoder. Maps, not objects:
 * `__proto__` or `constructor` must not pass for a type.
 */

/** The video types an instructor may upload, with the extension their source is stored under. */
export const VIDEO_TYPES = new Map([
  ['video/mp4', 'mp4'],
  ['video/quicktime', 'mov'],
  ['video/webm', 'webm'],
  ['video/x-matroska', 'mkv'],
  ['video/x-msvideo', 'avi'],
  ['video/x-m4v', 'm4v'],
  ['video/mpeg', 'mpg'],
  ['video/3gpp', '3gp'],
]);

/** Transcode failures of the source itself: processing it again cannot help, another file must be uploaded. */
export const SOURCE_FAILURES = ['not_a_video', 'corrupt', 'no_video_stream', 'too_long', 'resolution_too_large', 'source_missing'] as const;

/** Whether a video that ended so may be processed again from its source: cancelled, or failed for a reason other than the source. */
export const mayRetry = (status: string, errorCode: string | null | undefined): boolean =>
  status === 'cancelled' || (status === 'failed' && !(SOURCE_FAILURES as readonly string[]).includes(errorCode ?? ''));

/** A published job's master playlist, in its output folder. */
export const MASTER_PLAYLIST = 'master.m3u8';

export const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';

/** The content type of each kind of file a transcode publishes, by extension. */
export const PUBLISHED_TYPES = new Map([
  ['m3u8', PLAYLIST_TYPE],
  ['m4s', 'video/iso.segment'],
  ['mp4', 'video/mp4'],
  ['ts', 'video/mp2t'],
  ['jpg', 'image/jpeg'],
  ['vtt', 'text/vtt'],
]);
