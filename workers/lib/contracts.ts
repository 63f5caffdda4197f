import { z } from 'zod';

/**
 * Contracts between services: every RPC input and queue body is versioned and carries the W3C
 * `traceparent` of the request that caused it. Producer and consumer import the same schema.
 */
const Traced = z.object({
  v: z.literal(1),
  traceparent: z.string().regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/),
});

/** RPC `analytics.health` and `media.transcoderHealth`: a real check of the dependency behind them. */
export const HealthCheck = Traced;
export type HealthCheck = z.infer<typeof HealthCheck>;

/**
 * `content-sync`: a published course (and its lessons) replicated from its home jurisdiction to
 * another. Only content: no enrollment, progress or user data. Idempotent by (course id, version).
 */
export const ReplicatedLesson = z.object({
  id: z.uuid(),
  position: z.number().int(),
  title: z.string(),
  summary: z.string(),
  isPreview: z.boolean(),
  videoId: z.uuid().nullable(),
  durationSeconds: z.number().nullable(),
});

export const ReplicatedVideo = z.object({
  id: z.uuid(),
  lessonId: z.uuid().nullable(),
  filename: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  outputPrefix: z.string().regex(/^media\/[0-9a-f-]{36}\//, 'must be under media/{videoId}/'),
  masterKey: z.string().nullable(),
  posterKey: z.string().nullable(),
  storyboardImageKey: z.string().nullable(),
  storyboardVttKey: z.string().nullable(),
  /** Absent from messages sent before downloads existed. */
  downloadKey: z.string().nullable().default(null),
  durationSeconds: z.number().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  renditions: z.unknown(),
});

export const ContentSync = Traced.extend({
  kind: z.literal('course'),
  origin: z.string().regex(/^[a-z]{2}$/),
  action: z.enum(['upsert', 'unpublish']),
  course: z.object({
    id: z.uuid(),
    version: z.number().int().positive(),
    slug: z.string(),
    title: z.string(),
    summary: z.string(),
    description: z.string(),
    language: z.enum(['en', 'ar']),
    level: z.enum(['beginner', 'intermediate', 'advanced']),
    tags: z.array(z.string()),
    coverImageUrl: z.string().nullable(),
    instructorName: z.string(),
    publishedAt: z.iso.datetime({ offset: true }).nullable(),
  }),
  lessons: z.array(ReplicatedLesson),
  /** The lessons' ready videos: their published renditions are copied bucket to bucket over the S3 API. */
  videos: z.array(ReplicatedVideo),
});
export type ContentSync = z.infer<typeof ContentSync>;

/** `notifications`: a message for one user of this jurisdiction, stored and shown in the SPA. */
export const NotificationMessage = Traced.extend({
  id: z.uuid(),
  userId: z.uuid(),
  type: z.string().max(64),
  title: z.string().max(200),
  body: z.string().max(2_000),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type NotificationMessage = z.infer<typeof NotificationMessage>;

/**
 * An analytics event as the SPA sends it (`POST /api/analytics/events`). `event_id` is chosen by
 * the client so a resent event is stored once. The player sends `video_progress` every
 * `VIDEO_PROGRESS_INTERVAL_SECONDS` of playing: watch time is counted from those heartbeats.
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
  'login',
] as const;
export const VIDEO_PROGRESS_INTERVAL_SECONDS = 10;
const MAX_MEDIA_SECONDS = 24 * 60 * 60;
const MAX_PROPS = 20;
const MAX_PROPS_BYTES = 2_048;

const EventProps = z
  .record(
    z.string().regex(/^[\w.:-]{1,40}$/, 'keys must be 1-40 letters, digits or _ . : -'),
    z.union([z.string().max(256, 'values must be at most 256 characters'), z.number().finite(), z.boolean()]),
  )
  .refine((props) => Object.keys(props).length <= MAX_PROPS, `must have at most ${MAX_PROPS} keys`)
  .refine((props) => new TextEncoder().encode(JSON.stringify(props)).byteLength <= MAX_PROPS_BYTES, `must be at most ${MAX_PROPS_BYTES} bytes as JSON`);

export const AnalyticsEvent = z.strictObject({
  v: z.literal(1).default(1),
  event_id: z.uuid(),
  type: z.enum(ANALYTICS_EVENT_TYPES),
  ts: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-01-31T12:00:00.000Z' }),
  course_id: z.uuid().optional(),
  lesson_id: z.uuid().optional(),
  video_id: z.uuid().optional(),
  position_s: z.number().min(0).max(MAX_MEDIA_SECONDS).optional(),
  duration_s: z.number().positive().max(MAX_MEDIA_SECONDS).optional(),
  playback_rate: z.number().min(0.1).max(16).optional(),
  rendition: z.string().regex(/^[\w.-]{1,32}$/, 'must be a rendition name such as 720p').optional(),
  props: EventProps.optional(),
});
export type AnalyticsEvent = z.output<typeof AnalyticsEvent>;

/** The event as the api enriched it: what travels on `analytics-events` and lands in ClickHouse. */
export const StoredEvent = AnalyticsEvent.extend({
  ts: z.iso.datetime(),
  props: z.record(z.string(), z.string()),
  user_id: z.uuid().nullable(),
  received_at: z.iso.datetime(),
  jurisdiction: z.string().regex(/^[a-z]{2}$/),
  country: z.string().regex(/^[A-Z0-9]{2}$/),
  device: z.enum(['desktop', 'mobile', 'tablet', 'bot', 'unknown']),
  trace_id: z.string().regex(/^[0-9a-f]{32}$/),
});
export type StoredEvent = z.output<typeof StoredEvent>;

/** Queue `analytics-events`: one ingest request's events (or a share of them), api → analytics. */
export const AnalyticsEventBatch = Traced.extend({ events: z.array(StoredEvent).min(1) });
export type AnalyticsEventBatch = z.output<typeof AnalyticsEventBatch>;

const Day = z.iso.date({ error: 'must be a date such as 2026-01-31' });

/**
 * RPC `analytics.dashboard` and its parts: whole UTC days `from`..`to`, over every course of the
 * jurisdiction or only the listed ones (the api decides which a caller may see).
 */
export const DashboardQuery = Traced.extend({
  from: Day,
  to: Day,
  courses: z.union([z.literal('all'), z.array(z.uuid()).max(10_000)]),
}).refine((query) => query.from <= query.to, { message: 'from must not be after to', path: ['from'] });
export type DashboardQuery = z.output<typeof DashboardQuery>;

/** RPC `analytics.dropOff`: one video's viewers over the timeline. */
export const DropOffQuery = DashboardQuery.safeExtend({ videoId: z.uuid() });
export type DropOffQuery = z.output<typeof DropOffQuery>;

/** `video-jobs`: an uploaded source to transcode, sent by the api when an upload completes. */
export const VideoJob = Traced.extend({
  kind: z.literal('video'),
  videoId: z.uuid(),
});
export type VideoJob = z.infer<typeof VideoJob>;

/**
 * `video-jobs` also carries R2's own event notifications for the bucket (object created under
 * `raw/`). They carry no trace; the video id is in the key: `raw/{videoId}/...`.
 */
export const StorageObjectEvent = z.object({
  account: z.string(),
  action: z.string(),
  bucket: z.string(),
  object: z.object({ key: z.string(), size: z.number().optional(), eTag: z.string().optional() }),
  eventTime: z.string(),
});
export type StorageObjectEvent = z.infer<typeof StorageObjectEvent>;

/** RPC `media.recordTranscodeEvent`: a transcoder callback the api has verified. */
export const TranscodeEventDelivery = Traced.extend({ event: z.unknown() });

/** RPC `media.createUpload`: the api has checked who uploads what where and started the upload in storage. */
export const NewVideo = Traced.extend({
  id: z.uuid(),
  courseId: z.uuid(),
  lessonId: z.uuid().nullable(),
  uploaderId: z.uuid(),
  filename: z.string(),
  contentType: z.string(),
  sizeBytes: z.int().positive(),
  sourceKey: z.string(),
  uploadId: z.string().nullable(),
});
export type NewVideo = z.infer<typeof NewVideo>;

/** RPC `media.uploaded` and `media.cancelUpload`: a step of one video's life. */
export const VideoStep = Traced.extend({ videoId: z.uuid() });
export type VideoStep = z.infer<typeof VideoStep>;
export type TranscodeEventDelivery = z.infer<typeof TranscodeEventDelivery>;
