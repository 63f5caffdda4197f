import { sql } from 'drizzle-orm';
import { bigint, boolean, check, customType, type AnyPgColumn, index, integer, jsonb, pgEnum, pgTable, primaryKey, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { COURSE_LEVELS } from '../contracts/catalog.ts';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const role = pgEnum('role', ['learner', 'instructor', 'admin']);
export const language = pgEnum('language', ['en', 'ar']);

/** Accounts of this jurisdiction only: a deployment never writes another jurisdiction's users. */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** As typed at registration, for display. */
    email: text('email').notNull(),
    /** Trimmed, NFC, lower-case: uniqueness is case-insensitive. */
    emailNormalized: text('email_normalized').notNull(),
    displayName: text('display_name').notNull(),
    preferredLanguage: language('preferred_language').notNull().default('en'),
    role: role('role').notNull().default('learner'),
    jurisdiction: text('jurisdiction').notNull(),
    /** Algorithm, iterations and salt are kept with the hash so the cost can be raised later. */
    passwordAlgorithm: text('password_algorithm').notNull(),
    passwordIterations: integer('password_iterations').notNull(),
    passwordSalt: text('password_salt').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_normalized_key').on(t.emailNormalized)],
);

/** A sign-in on one device: the family of refresh tokens that rotate from it. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId).where(sql`${t.revokedAt} is null`)],
);

/** Refresh tokens, stored only as SHA-256 hashes; `rotatedAt` marks one that must never come back. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('refresh_tokens_session_id_idx').on(t.sessionId)],
);

export const courseLevel = pgEnum('course_level', COURSE_LEVELS);
export const courseStatus = pgEnum('course_status', ['draft', 'published']);

/**
 * Courses are global content: a course keeps its id in every jurisdiction it is replicated to, and
 * `version` grows with every change so replicated upserts apply in order and replays change nothing.
 */
export const courses = pgTable(
  'courses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    originJurisdiction: text('origin_jurisdiction').notNull(),
    version: integer('version').notNull().default(1),
    /** Set where the instructor's account lives; replicas carry only the name. */
    instructorId: uuid('instructor_id').references(() => users.id, { onDelete: 'set null' }),
    instructorName: text('instructor_name').notNull(),
    slug: text('slug').notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    description: text('description').notNull().default(''),
    language: language('language').notNull().default('en'),
    level: courseLevel('level').notNull().default('beginner'),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    coverImageUrl: text('cover_image_url'),
    status: courseStatus('status').notNull().default('draft'),
    /** Sold, not free: its lessons (previews aside) play only for learners entitled to it; see course_prices. */
    isPaid: boolean('is_paid').notNull().default(false),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Title, summary and tags, normalized (kce_search_normalize) and stemmed in the course's language, weighted A/B/C. */
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(
        sql`setweight(to_tsvector(case when language = 'ar' then 'arabic'::regconfig else 'english'::regconfig end, kce_search_normalize(title)), 'A') || setweight(to_tsvector(case when language = 'ar' then 'arabic'::regconfig else 'english'::regconfig end, kce_search_normalize(summary)), 'B') || setweight(to_tsvector('simple', kce_search_normalize(kce_tags_text(tags))), 'C')`,
      ),
  },
  (t) => [
    uniqueIndex('courses_slug_key').on(t.slug),
    index('courses_search_idx').using('gin', t.search),
    index('courses_published_idx').on(t.publishedAt.desc(), t.id).where(sql`${t.status} = 'published'`),
    index('courses_title_idx').on(t.title, t.id).where(sql`${t.status} = 'published'`),
    index('courses_tags_idx').using('gin', t.tags),
    index('courses_instructor_idx').on(t.instructorId),
  ],
);

export const lessons = pgTable(
  'lessons',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    /** Its course's origin: a replicated lesson never overwrites one made here. */
    originJurisdiction: text('origin_jurisdiction').notNull(),
    position: integer('position').notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    /** Anyone may watch a preview lesson of a published course. */
    isPreview: boolean('is_preview').notNull().default(false),
    /** Only a video uploaded for this lesson's course (checked when attached). */
    videoId: uuid('video_id').references((): AnyPgColumn => videos.id, { onDelete: 'set null' }),
    durationSeconds: real('duration_seconds'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('lessons_course_position_idx').on(t.courseId, t.position), index('lessons_video_idx').on(t.videoId)],
);

export const enrollments = pgTable(
  'enrollments',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.courseId] }), index('enrollments_user_activity_idx').on(t.userId, t.lastActivityAt.desc())],
);

/** Where a learner is in a lesson; complete at 95% watched. */
export const lessonProgress = pgTable(
  'lesson_progress',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    lessonId: uuid('lesson_id')
      .notNull()
      .references(() => lessons.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    positionSeconds: real('position_seconds').notNull(),
    durationSeconds: real('duration_seconds').notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.lessonId] }), index('lesson_progress_user_course_idx').on(t.userId, t.courseId)],
);

export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    data: jsonb('data').notNull().default(sql`'{}'::jsonb`),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.readAt, t.createdAt.desc())],
);

/** `playable`: still processing, and its first seconds are published (growing playlists) to be watched already. */
export const videoStatus = pgEnum('video_status', ['awaiting_upload', 'uploaded', 'queued', 'processing', 'playable', 'ready', 'failed', 'cancelled']);

/**
 * An uploaded source and its transcode. `output_prefix` and `master_key` are set once a job is
 * `playable`, the poster, storyboard and download once it is `ready`. `job_id` names the current attempt.
 */
export const videos = pgTable(
  'videos',
  {
    id: uuid('id').primaryKey(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    lessonId: uuid('lesson_id').references(() => lessons.id, { onDelete: 'set null' }),
    /** Where it was uploaded: a replicated video never overwrites one uploaded here. */
    originJurisdiction: text('origin_jurisdiction').notNull(),
    /** Absent on replicas: the uploader's account lives in the course's home jurisdiction. */
    uploaderId: uuid('uploader_id').references(() => users.id, { onDelete: 'cascade' }),
    status: videoStatus('status').notNull().default('awaiting_upload'),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sourceKey: text('source_key').notNull(),
    /** The S3 multipart upload, for large files. */
    uploadId: text('upload_id'),
    jobId: uuid('job_id'),
    attempts: integer('attempts').notNull().default(0),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    progressPercent: real('progress_percent').notNull().default(0),
    outputPrefix: text('output_prefix'),
    masterKey: text('master_key'),
    posterKey: text('poster_key'),
    storyboardImageKey: text('storyboard_image_key'),
    storyboardVttKey: text('storyboard_vtt_key'),
    /** One MP4 of a middle rung for offline viewing; null for videos published before downloads. */
    downloadKey: text('download_key'),
    durationSeconds: real('duration_seconds'),
    width: integer('width'),
    height: integer('height'),
    renditions: jsonb('renditions'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('videos_course_idx').on(t.courseId),
    // Unfinished videos, the only ones with a lease (a predicate on the new enum value could not be created in the migration that adds it).
    index('videos_lease_idx').on(t.leaseExpiresAt).where(sql`${t.leaseExpiresAt} is not null`),
  ],
);

/**
 * A caption track of a video in one language (BCP 47), as normalized WebVTT in storage under
 * `captions/{videoId}/{id}/{version}.vtt`: every save is a new version, so a file never changes
 * under a cache. Content, like its course: replicated with it, never overwritten by a replica.
 */
export const captionTracks = pgTable(
  'caption_tracks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    videoId: uuid('video_id')
      .notNull()
      .references(() => videos.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    originJurisdiction: text('origin_jurisdiction').notNull(),
    language: text('language').notNull(),
    label: text('label').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    version: integer('version').notNull().default(1),
    storageKey: text('storage_key').notNull(),
    cueCount: integer('cue_count').notNull(),
    /** Where it came from: an upload (`uploaded`) or, later, a speech model inside the jurisdiction. */
    source: text('source').notNull().default('uploaded'),
    /** Every cue's text, normalized (kce_search_normalize) and stemmed in the track's language: ranks lessons. */
    search: tsvector('search').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('caption_tracks_video_language_key').on(t.videoId, t.language),
    index('caption_tracks_course_idx').on(t.courseId),
    index('caption_tracks_search_idx').using('gin', t.search),
  ],
);

/** A track's cues as plain text, for the transcript and for finding the second a word is said. */
export const captionCues = pgTable(
  'caption_cues',
  {
    trackId: uuid('track_id')
      .notNull()
      .references(() => captionTracks.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    startMs: integer('start_ms').notNull(),
    endMs: integer('end_ms').notNull(),
    text: text('text').notNull(),
    search: tsvector('search').notNull(),
  },
  (t) => [primaryKey({ columns: [t.trackId, t.position] })],
);

/**
 * Queue messages refused at once, with why: retrying them could never succeed (a replicated row
 * that would overwrite a local one, a foreign key that fails). Kept for an operator to read.
 */
export const refusedMessages = pgTable(
  'refused_messages',
  {
    queue: text('queue').notNull(),
    messageId: text('message_id').notNull(),
    attempts: integer('attempts').notNull(),
    reason: text('reason').notNull(),
    body: jsonb('body').notNull(),
    refusedAt: timestamp('refused_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.queue, t.messageId] })],
);

/**
 * A paid course's price in one jurisdiction, in that jurisdiction's currency and minor units, tax
 * included where the jurisdiction has one. Content, like its course: replicated with it. A paid
 * course without a row for a jurisdiction is not sold there.
 */
export const coursePrices = pgTable(
  'course_prices',
  {
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    jurisdiction: text('jurisdiction').notNull(),
    currency: text('currency').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.courseId, t.jurisdiction] }), check('course_prices_amount_positive', sql`${t.amountMinor} > 0`)],
);

export const orderStatus = pgEnum('order_status', ['pending', 'paid', 'refunded', 'expired']);

/**
 * A learner's purchase of a course in this jurisdiction, at the price and tax of its moment. Its
 * checkout at the provider (`provider_checkout_id`: a Stripe Checkout Session, a Moyasar invoice) is
 * made once; the same idempotency key from the same learner answers the same order.
 */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'restrict' }),
    idempotencyKey: text('idempotency_key').notNull(),
    status: orderStatus('status').notNull().default('pending'),
    provider: text('provider').notNull(),
    currency: text('currency').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    taxMinor: integer('tax_minor').notNull(),
    providerCheckoutId: text('provider_checkout_id'),
    checkoutUrl: text('checkout_url'),
    /** The provider's reason for the last declined attempt, shown to the learner (the checkout stays open). */
    lastFailure: text('last_failure'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('orders_user_idempotency_key').on(t.userId, t.idempotencyKey),
    uniqueIndex('orders_provider_checkout_key').on(t.provider, t.providerCheckoutId),
    index('orders_user_idx').on(t.userId, t.createdAt.desc()),
    index('orders_course_idx').on(t.courseId),
    index('orders_pending_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
  ],
);

/** Money received for an order, as the provider reported it; `receipt_number` numbers the receipts (tax invoices) in sequence. */
export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'restrict' }),
    provider: text('provider').notNull(),
    providerPaymentId: text('provider_payment_id').notNull(),
    receiptNumber: bigint('receipt_number', { mode: 'number' }).generatedAlwaysAsIdentity(),
    currency: text('currency').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    taxMinor: integer('tax_minor').notNull(),
    /** `card`, `mada`, `applepay`, `stcpay`: what the learner paid with, when the provider says. */
    method: text('method'),
    paidAt: timestamp('paid_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('payments_provider_payment_key').on(t.provider, t.providerPaymentId), uniqueIndex('payments_order_key').on(t.orderId)],
);

export const refunds = pgTable(
  'refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id, { onDelete: 'restrict' }),
    provider: text('provider').notNull(),
    providerRefundId: text('provider_refund_id').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('refunds_provider_refund_key').on(t.provider, t.providerRefundId), index('refunds_payment_idx').on(t.paymentId)],
);

/** Every provider event applied, by the provider's own id: a redelivery finds its row and changes nothing. */
export const paymentEvents = pgTable(
  'payment_events',
  {
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.eventId] })],
);

/**
 * Who may watch a paid course: a paid order or an admin's grant. A refund or a withdrawn grant sets
 * `revoked_at`; a later purchase or grant lifts it.
 */
export const entitlements = pgTable(
  'entitlements',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    source: text('source', { enum: ['purchase', 'grant'] }).notNull(),
    orderId: uuid('order_id').references(() => orders.id, { onDelete: 'set null' }),
    grantedBy: uuid('granted_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.courseId] })],
);
