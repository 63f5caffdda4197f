import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { captionTracks, coursePrices, courses, lessons, videos } from '../../db/schema.ts';
import { PAYMENT_PROVIDERS } from '../../contracts/jurisdictions.ts';
import { ANALYTICS_EVENT_TYPES, type AnalyticsEventType } from '../../contracts/analytics.ts';

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
export const ReplicatedLesson = createSelectSchema(lessons).pick({ id: true, position: true, title: true, summary: true, isPreview: true, videoId: true, durationSeconds: true });

export const ReplicatedVideo = createSelectSchema(videos, {
  outputPrefix: z.string().regex(/^media\/[0-9a-f-]{36}\//, 'must be under media/{videoId}/'),
  /** Absent from messages sent before downloads existed. */
  downloadKey: z.string().nullable().default(null),
  /** The ladder as the media Worker stored it (JSON), carried as it is. */
  renditions: z.unknown(),
}).pick({
  id: true,
  lessonId: true,
  filename: true,
  contentType: true,
  sizeBytes: true,
  outputPrefix: true,
  masterKey: true,
  posterKey: true,
  storyboardImageKey: true,
  storyboardVttKey: true,
  downloadKey: true,
  durationSeconds: true,
  width: true,
  height: true,
  renditions: true,
});

/** A caption track of a replicated video: its WebVTT file is copied like the video's renditions. */
export const ReplicatedCaption = createSelectSchema(captionTracks, {
  storageKey: z.string().regex(/^captions\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/\d+\.vtt$/, 'must be captions/{videoId}/{trackId}/{version}.vtt'),
}).pick({ id: true, videoId: true, language: true, label: true, isDefault: true, version: true, storageKey: true, source: true });

export const ContentSync = Traced.extend({
  kind: z.literal('course'),
  origin: z.string().regex(/^[a-z]{2}$/),
  action: z.enum(['upsert', 'unpublish']),
  course: createSelectSchema(courses, { version: z.int().positive(), publishedAt: z.iso.datetime({ offset: true }).nullable() }).pick({
    id: true,
    version: true,
    slug: true,
    title: true,
    summary: true,
    description: true,
    language: true,
    level: true,
    tags: true,
    coverImageUrl: true,
    instructorName: true,
    publishedAt: true,
  }).extend({ isPaid: z.boolean().default(false) }),
  lessons: z.array(ReplicatedLesson),
  /** The lessons' ready videos: their published renditions are copied bucket to bucket over the S3 API. */
  videos: z.array(ReplicatedVideo),
  /** The caption tracks of those videos; absent from messages sent before captions existed. */
  captions: z.array(ReplicatedCaption).default([]),
  /** Its price in each jurisdiction that sells it; absent from messages sent before payments existed. */
  prices: z.array(createSelectSchema(coursePrices).pick({ jurisdiction: true, currency: true, amountMinor: true })).default([]),
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

/**
 * An analytics event as the SPA sends it (`POST /api/analytics/events`; types and heartbeat in
 * contracts/analytics.ts). `event_id` is chosen by the client so a resent event is stored once.
 */
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

const Milliseconds = z.int().min(0).max(MAX_MEDIA_SECONDS * 1000);
const Bitrate = z.int().positive().max(1_000_000_000);
const HlsName = z.string().max(64);

/**
 * The props a playback quality event must carry: ClickHouse reads them into typed columns
 * (migration 0003), so a value it could not read would silently drop out of the dashboard.
 * Other props pass, as on any event.
 */
const QUALITY_PROPS: Partial<Record<AnalyticsEventType, z.ZodType>> = {
  playback_start: z.looseObject({ startup_ms: Milliseconds }),
  playback_stall: z.looseObject({ stall_ms: Milliseconds }),
  playback_error: z.looseObject({ fatal: z.boolean(), error_type: HlsName, error_details: HlsName }),
  rendition_switch: z.looseObject({ bitrate: Bitrate, height: z.int().min(0).max(10_000) }),
  video_progress: z.looseObject({ bitrate: Bitrate.optional() }),
};

/** An event as ingest accepts it: the contract, and the props its type must carry. */
export const IngestedEvent = AnalyticsEvent.superRefine((event, context) => {
  const props = QUALITY_PROPS[event.type]?.safeParse(event.props ?? {});
  for (const issue of props?.error?.issues ?? []) context.addIssue({ code: 'custom', path: ['props', ...issue.path], message: issue.message });
});

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

/** A share of a whole (0 to 1); null when the whole is 0. */
const Share = z.number().min(0).max(1).nullable();
const Count = z.int().min(0);

export const DailyLearners = z.object({ day: Day, learners: Count });
export type DailyLearners = z.infer<typeof DailyLearners>;

/** RPC `analytics.summary`: the range's totals. */
export const Summary = z
  .object({
    activeLearners: Count.meta({ description: 'Signed-in users with any event in the range, each counted once.' }),
    dailyActiveLearners: z.array(DailyLearners).meta({ description: 'Every day of the range, 0 where nobody was active.' }),
    enrollments: Count,
    plays: Count,
    watchTimeSeconds: Count,
    averageWatchTimeSeconds: z.number().min(0).nullable().meta({ description: 'Per play; null without plays.' }),
    completionRate: Share.meta({ description: 'Share of the viewings (a learner and a video) started in the range that reached the end.' }),
  })
  .meta({ id: 'Summary' });
export type Summary = z.infer<typeof Summary>;

/** RPC `analytics.top`: the 10 courses and 10 videos with the most plays. */
export const TopContent = z
  .object({
    courses: z.array(z.object({ courseId: z.uuid(), plays: Count, watchTimeSeconds: Count, enrollments: Count })),
    videos: z.array(
      z.object({
        videoId: z.uuid(),
        courseId: z.uuid().meta({ description: 'The nil UUID when the video’s events named no course.' }),
        plays: Count,
        watchTimeSeconds: Count,
        completions: Count,
      }),
    ),
  })
  .meta({ id: 'TopContent' });
export type TopContent = z.infer<typeof TopContent>;

/** RPC `analytics.funnel`: viewings (a learner and a video) that started in the range, and how many reached each stage. */
export const Funnel = z
  .array(z.object({ stage: z.enum(['play', '25%', '50%', '75%', 'complete']), viewings: Count, share: Share }))
  .meta({ id: 'Funnel' });
export type Funnel = z.infer<typeof Funnel>;

export const Audience = z.object({
  learners: Count.meta({ description: 'An estimate, within about 1 %.' }),
  events: Count,
  plays: Count,
  watchTimeSeconds: Count,
});
export type Audience = z.infer<typeof Audience>;

/** RPC `analytics.breakdown`: the audience by country (`XX` unknown) and by device class. */
export const Breakdown = z
  .object({
    countries: z.array(z.object({ country: z.string(), ...Audience.shape })),
    devices: z.array(z.object({ device: z.string(), ...Audience.shape })),
  })
  .meta({ id: 'Breakdown' });
export type Breakdown = z.infer<typeof Breakdown>;

/** RPC `analytics.dropOff`: for each 5 % of the video's timeline, the share of its viewers who got at least that far. */
export const DropOff = z
  .object({
    videoId: z.uuid(),
    viewers: Count,
    curve: z.array(z.object({ percent: z.number().min(0).max(100), stillWatching: Count, share: Share })).length(21),
  })
  .meta({ id: 'DropOff' });
export type DropOff = z.infer<typeof DropOff>;

/** Watch time by the captions on screen: each caption language's share of all viewing, and viewing without ('' ). */
export const CaptionViewing = z
  .array(
    z.object({
      language: z.string().meta({ description: 'The caption track’s BCP 47 tag; empty: captions off.' }),
      watchTimeSeconds: Count,
      share: z.number().min(0).max(1),
    }),
  )
  .meta({ id: 'CaptionViewing' });
export type CaptionViewing = z.infer<typeof CaptionViewing>;

/**
 * Playback quality over a set of plays: startup (play request → first frame) at p50 and p95,
 * rebuffering (stalled time over watch time), failures (fatal errors over plays) and the
 * time-weighted average bitrate (over the heartbeats that named one).
 */
export const PlaybackQualityMetrics = z.object({
  plays: Count,
  startupP50Ms: z.number().min(0).nullable().meta({ description: 'Null without a first frame in the range.' }),
  startupP95Ms: z.number().min(0).nullable(),
  stalls: Count,
  stalledSeconds: z.number().min(0),
  watchTimeSeconds: Count,
  rebufferingRatio: z.number().min(0).nullable().meta({ description: 'Stalled time over watch time; null without watch time.' }),
  fatalErrors: Count,
  recoveredErrors: Count,
  failureRate: z.number().min(0).nullable().meta({ description: 'Fatal errors over plays; null without plays.' }),
  averageBitrate: z.number().min(0).nullable().meta({ description: 'Bits per second, weighted by watch time; null when no heartbeat named one.' }),
});
export type PlaybackQualityMetrics = z.infer<typeof PlaybackQualityMetrics>;

/** How far the viewings (a learner and a video) of one kind got: completion and the drop-off curve. */
export const ViewingOutcome = z.object({
  viewings: Count,
  completionRate: Share,
  dropOff: z.array(z.object({ percent: z.number().min(0).max(100), share: Share })).length(21),
});
export type ViewingOutcome = z.infer<typeof ViewingOutcome>;

/** RPC `analytics.quality`: playback quality in total, per day, country, device and rendition, and its effect on learning. */
export const PlaybackQuality = z
  .object({
    total: PlaybackQualityMetrics,
    days: z.array(z.object({ day: Day, ...PlaybackQualityMetrics.shape })),
    countries: z.array(z.object({ country: z.string(), ...PlaybackQualityMetrics.shape })),
    devices: z.array(z.object({ device: z.string(), ...PlaybackQualityMetrics.shape })),
    renditions: z.array(
      z.object({ rendition: z.string().meta({ description: 'Empty: the player named none (native HLS).' }), ...PlaybackQualityMetrics.shape }),
    ),
    learning: z
      .object({ stalled: ViewingOutcome, smooth: ViewingOutcome })
      .meta({ description: 'Viewings played in the range that stalled at least once, against those that never did.' }),
  })
  .meta({ id: 'PlaybackQuality' });
export type PlaybackQuality = z.infer<typeof PlaybackQuality>;

/** RPC `analytics.dashboard`: everything the dashboard page shows. */
export const Dashboard = z.object({ summary: Summary, top: TopContent, funnel: Funnel, breakdown: Breakdown, captions: CaptionViewing });
export type Dashboard = z.infer<typeof Dashboard>;

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

/** RPC `media.uploaded`, `cancelUpload`, `cancelTranscode` and `retryTranscode`: a step of one video's life. */
export const VideoStep = Traced.extend({ videoId: z.uuid() });
export type VideoStep = z.infer<typeof VideoStep>;
export type TranscodeEventDelivery = z.infer<typeof TranscodeEventDelivery>;

/**
 * `payment-events`: a provider's webhook, its signature verified at receipt, reduced to the change
 * it reports. Applied once per (provider, event id): redeliveries and replays change nothing.
 */
const PaymentChange = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('paid'), checkoutId: z.string().min(1), paymentId: z.string().min(1), amountMinor: z.int().nonnegative(), currency: z.string().length(3), method: z.string().nullable(), at: z.iso.datetime({ offset: true }) }),
  z.object({ kind: z.literal('declined'), checkoutId: z.string().min(1), reason: z.string().max(500) }),
  z.object({ kind: z.literal('expired'), checkoutId: z.string().min(1) }),
  z.object({ kind: z.literal('refunded'), paymentId: z.string().min(1), refundId: z.string().min(1), amountMinor: z.int().positive() }),
]);
export type PaymentChange = z.infer<typeof PaymentChange>;

export const PaymentEvent = Traced.extend({
  provider: z.enum(PAYMENT_PROVIDERS),
  eventId: z.string().min(1).max(200),
  type: z.string().max(100),
  change: PaymentChange,
});
export type PaymentEvent = z.infer<typeof PaymentEvent>;

/**
 * Recommendations (RPC `analytics.refreshRecommendations`, `relatedCourses`, `recommendationsFor`),
 * computed from this jurisdiction's own events only. The api adds what only PostgreSQL knows: which
 * courses are published, their language, what the learner is enrolled in.
 */
export const RecommendationRefresh = Traced;
export type RecommendationRefresh = z.infer<typeof RecommendationRefresh>;

export const RefreshedRecommendations = z.object({ generation: z.string(), pairs: Count, elapsedMs: Count });
export type RefreshedRecommendations = z.infer<typeof RefreshedRecommendations>;

export const RelatedQuery = Traced.extend({ courseId: z.uuid(), limit: z.int().min(1).max(100) });
export type RelatedQuery = z.infer<typeof RelatedQuery>;

/** A course learners of another course also took: cosine similarity of their learners, and how many took both. */
export const Neighbour = z.object({ courseId: z.uuid(), score: z.number(), coLearners: Count });
export type Neighbour = z.infer<typeof Neighbour>;

/** `recent`: the learner's courses by PostgreSQL, most recently active first; ClickHouse adds those its events show. */
export const LearnerRecommendationsQuery = Traced.extend({ userId: z.uuid(), recent: z.array(z.uuid()).max(20), limit: z.int().min(1).max(200) });
export type LearnerRecommendationsQuery = z.infer<typeof LearnerRecommendationsQuery>;

export const LearnerRecommendations = z.object({
  /** Neighbours of the learner's recent courses, none of which they took: summed similarity, and the course that contributed most. */
  similar: z.array(z.object({ courseId: z.uuid(), score: z.number(), becauseOf: z.uuid() })),
  /** The courses most learners took lately (none the learner took), for a learner with no neighbours to go on. */
  popular: z.array(z.object({ courseId: z.uuid(), learners: Count })),
});
export type LearnerRecommendations = z.infer<typeof LearnerRecommendations>;
