/**
 * The analytics events the SPA sends (`POST /api/analytics/events`) and the Workers count. The player
 * sends `video_progress` every `VIDEO_PROGRESS_INTERVAL_SECONDS` of playing: watch time is counted
 * from those heartbeats, so both sides read the interval from here.
 */
export const ANALYTICS_EVENT_TYPES = [
  'page_view',
  'course_view',
  'search',
  'enroll',
  'video_play',
  'video_pause',
  'video_seek',
  'video_progress',
  'video_complete',
  /** Captions turned on or switched (`props.language`), or off: `video_progress` also names them (`props.captions`). */
  'caption_on',
  'caption_off',
  'login',
  /**
   * Playback quality, from the player (their props are checked at ingest, `QUALITY_PROPS` in
   * workers/lib/contracts.ts): the first frame after a play request (`startup_ms`), a stall from
   * `waiting` to `playing` (`stall_ms`, at the event's `rendition`), an hls.js error (`fatal`,
   * `error_type`, `error_details`), a rendition switch (`bitrate` in bits/s, `height`). Time per
   * rendition comes from the `video_progress` heartbeat, which names its `rendition` and `bitrate`.
   */
  'playback_start',
  'playback_stall',
  'playback_error',
  'rendition_switch',
] as const;
export type AnalyticsEventType = (typeof ANALYTICS_EVENT_TYPES)[number];

export const VIDEO_PROGRESS_INTERVAL_SECONDS = 10;
