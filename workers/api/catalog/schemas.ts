import { z } from 'zod';
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
export const Level = z.enum(['beginner', 'intermediate', 'advanced'], { error: 'must be beginner, intermediate or advanced' });
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
