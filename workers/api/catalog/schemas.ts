import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { courseLevel, coursePrices, courses, courseStatus, lessons } from '../../../db/schema.ts';
import { Language } from '../identity/schemas.ts';

/** One line of text people read: no control characters, no text-direction overrides (which disguise it). */
export const Text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}\u202A-\u202E\u2066-\u2069]*$/u, 'must not contain control or text-direction characters');
const MultilineText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    // Line breaks and tabs are text here; other control characters and direction overrides are not.
    .refine((text) => !/[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(text.replace(/[\t\n\r]/g, '')), 'must not contain control or text-direction characters');

export const Slug = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(80, 'must be at most 80 characters')
  .regex(/^[\p{Ll}\p{Lo}\p{N}]+(?:-[\p{Ll}\p{Lo}\p{N}]+)*$/u, 'must be lower-case words joined by hyphens');
export const Level = z.enum(courseLevel.enumValues, { error: `must be ${courseLevel.enumValues.join(', ')}` });
const Tag = z.string().trim().toLowerCase().min(1).max(32, 'must be at most 32 characters').regex(/^[\p{L}\p{N}-]+$/u, 'must be letters, digits or hyphens');

/** The fields without defaults: a change names only what it changes. */
const CourseFields = z.strictObject({
  title: Text(120).min(3, 'must be at least 3 characters'),
  slug: Slug,
  summary: Text(300),
  description: MultilineText(20_000),
  language: Language,
  level: Level,
  tags: z.array(Tag).max(12, 'must be at most 12 tags'),
  coverImageUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2_000).nullable(),
});
export const NewCourse = CourseFields.extend({
  slug: Slug.optional(),
  summary: CourseFields.shape.summary.default(''),
  description: CourseFields.shape.description.default(''),
  language: Language.default('en'),
  level: Level.default('beginner'),
  tags: CourseFields.shape.tags.default([]),
  coverImageUrl: CourseFields.shape.coverImageUrl.default(null),
});
export const CourseChanges = CourseFields.partial().refine((changes) => Object.keys(changes).length > 0, 'name at least one field to change');

const LessonFields = z.strictObject({
  title: Text(160).min(1, 'must not be empty'),
  summary: Text(500),
  isPreview: z.boolean(),
  videoId: z.uuid().nullable(),
});
export const NewLesson = LessonFields.extend({
  summary: LessonFields.shape.summary.default(''),
  isPreview: LessonFields.shape.isPreview.default(false),
  videoId: LessonFields.shape.videoId.default(null),
});
export const LessonChanges = LessonFields.partial().refine((changes) => Object.keys(changes).length > 0, 'name at least one field to change');
export const LessonOrder = z.strictObject({ lessonIds: z.array(z.uuid()).min(1).max(500) });

/** `:idOrSlug` as a course id or a slug (compared in NFC lower case, as slugs are stored). */
export const CourseRef = z.union([z.uuid(), z.string().transform((ref) => ref.normalize('NFC').toLowerCase()).pipe(Slug)]);

export const CourseIdParam = z.object({ id: z.uuid({ error: 'must be a course id' }) });
export const LessonParams = z.object({ id: z.uuid({ error: 'must be a course id' }), lessonId: z.uuid({ error: 'must be a lesson id' }) });

export const Sort = z.enum(['relevance', 'newest', 'title'], { error: 'must be relevance, newest or title' });
export type Sort = z.output<typeof Sort>;
export const CatalogQuery = z.strictObject({
  q: Text(200).optional(),
  language: Language.optional(),
  level: Level.optional(),
  tag: Tag.optional(),
  sort: Sort.optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(50, 'must be at most 50').default(20),
});
export type CatalogQuery = z.output<typeof CatalogQuery>;

export const ProgressReport = z.strictObject({
  positionSeconds: z.number({ error: 'must be a number' }).min(0).max(86_400),
  durationSeconds: z.number({ error: 'must be a number' }).positive('must be positive').max(86_400),
});

/** Answers, their row fields derived from `db/schema.ts`; timestamps travel as ISO strings. */
const IsoTime = z.iso.datetime();
const courseRow = createSelectSchema(courses, { publishedAt: IsoTime.nullable() });

export const CourseCard = courseRow
  .pick({ id: true, slug: true, title: true, summary: true, language: true, level: true, tags: true, coverImageUrl: true, instructorName: true, publishedAt: true, isPaid: true })
  .extend({
    lessonCount: z.int(),
    /** Its price in each jurisdiction that sells it (minor units, tax included); empty for a free course. */
    prices: z.array(createSelectSchema(coursePrices).pick({ jurisdiction: true, currency: true, amountMinor: true })),
  })
  .meta({ id: 'CourseCard' });
export type CourseCard = z.infer<typeof CourseCard>;

export const CoursePage = z.object({ items: z.array(CourseCard), nextCursor: z.string().nullable() }).meta({ id: 'CoursePage' });
export const OwnCourse = CourseCard.extend({ status: z.enum(courseStatus.enumValues) }).meta({ id: 'OwnCourse' });
export const OwnCourses = z.object({ items: z.array(OwnCourse) });

export const LessonView = createSelectSchema(lessons).pick({ id: true, position: true, title: true, summary: true, isPreview: true, videoId: true, durationSeconds: true }).meta({ id: 'LessonView' });
export type LessonView = z.infer<typeof LessonView>;

export const CourseDetail = CourseCard.extend({
  ...courseRow.pick({ description: true, status: true, version: true, originJurisdiction: true, instructorId: true }).shape,
  lessons: z.array(LessonView),
}).meta({ id: 'CourseDetail' });
export type CourseDetail = z.infer<typeof CourseDetail>;

export const LessonProgressView = z.object({ positionSeconds: z.number(), durationSeconds: z.number(), completed: z.boolean() }).meta({ id: 'LessonProgressView' });
export type LessonProgressView = z.infer<typeof LessonProgressView>;
export const EnrollmentView = z
  .object({
    enrolledAt: IsoTime,
    progressPercent: z.int(),
    completedLessons: z.int(),
    nextLessonId: z.uuid().nullable(),
    lessons: z.record(z.uuid(), LessonProgressView),
  })
  .meta({ id: 'EnrollmentView' });
export type EnrollmentView = z.infer<typeof EnrollmentView>;

export const CourseWithEnrollment = CourseDetail.extend({
  enrollment: EnrollmentView.nullable(),
  /** For this viewer here: free, theirs (bought or granted), to buy, or not sold in this jurisdiction. */
  offer: z.enum(['free', 'owned', 'buy', 'not_sold']),
}).meta({ id: 'CourseWithEnrollment' });
export const SavedProgress = LessonProgressView.extend({ courseProgressPercent: z.int() }).meta({ id: 'SavedProgress' });

export const ContinueLearning = z
  .object({
    courseId: z.uuid(),
    slug: z.string(),
    title: z.string(),
    coverImageUrl: z.string().nullable(),
    progressPercent: z.int(),
    lastActivityAt: IsoTime,
    nextLesson: z.object({ id: z.uuid(), title: z.string(), positionSeconds: z.number() }).nullable(),
  })
  .meta({ id: 'ContinueLearning' });
export type ContinueLearning = z.infer<typeof ContinueLearning>;
export const LearningList = z.object({ items: z.array(ContinueLearning) });

/** Why a course is recommended: learners of this one took it too, it is near a course the learner took, or it is popular. */
export const RecommendationReason = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('co_learners'), coLearners: z.int().meta({ description: 'Learners who took both courses.' }) }),
    z.object({ kind: z.literal('because_of'), becauseOf: z.object({ courseId: z.uuid(), title: z.string() }) }),
    z.object({ kind: z.literal('popular'), learners: z.int().meta({ description: 'Learners who took it in the last 90 days.' }) }),
  ])
  .meta({ id: 'RecommendationReason' });
export type RecommendationReason = z.infer<typeof RecommendationReason>;

export const RecommendedCourse = CourseCard.extend({
  score: z.number().meta({ description: 'Similarity (cosine of the courses’ learners, summed over the learner’s courses for “for you”); 0 for a popular course.' }),
  reason: RecommendationReason,
}).meta({ id: 'RecommendedCourse' });
export type RecommendedCourse = z.infer<typeof RecommendedCourse>;

export const Recommendations = z.object({ items: z.array(RecommendedCourse) }).meta({ id: 'Recommendations' });
