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
] as const;

export const VIDEO_PROGRESS_INTERVAL_SECONDS = 10;
