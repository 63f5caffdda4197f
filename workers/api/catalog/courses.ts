import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { z } from 'zod';
import { captionTracks, courses, lessons } from '../../../db/schema.ts';
import { AppError, invalidFields, notFound } from '../../lib/errors.ts';
import { assertAttachable } from './lesson-videos.ts';
import { textQuery } from '../search/spoken.ts';
import type { CatalogQuery, CourseCard, CourseChanges, CourseDetail, LessonChanges, LessonView, NewCourse, NewLesson, Sort } from './schemas.ts';

export type Course = typeof courses.$inferSelect;
export type Lesson = typeof lessons.$inferSelect;

// Written out: drizzle leaves single-table columns unqualified, which the subquery would misread.
const lessonCount = sql<number>`(select count(*)::int from lessons where lessons.course_id = courses.id)`;

/** Every jurisdiction's price: public, like the course; each jurisdiction sells at its own. */
const prices = sql<CourseCard['prices']>`(select coalesce(json_agg(json_build_object('jurisdiction', p.jurisdiction, 'currency', p.currency, 'amountMinor', p.amount_minor) order by p.jurisdiction), '[]'::json) from course_prices p where p.course_id = courses.id)`;

const cardColumns = {
  id: courses.id,
  slug: courses.slug,
  title: courses.title,
  summary: courses.summary,
  language: courses.language,
  level: courses.level,
  tags: courses.tags,
  coverImageUrl: courses.coverImageUrl,
  instructorName: courses.instructorName,
  publishedAt: courses.publishedAt,
  lessonCount,
  isPaid: courses.isPaid,
  prices,
};

function toCard(row: Omit<CourseCard, 'publishedAt'> & { publishedAt: Date | null }): CourseCard {
  return { ...row, publishedAt: row.publishedAt?.toISOString() ?? null };
}

function lessonView(lesson: Lesson): LessonView {
  const { id, position, title, summary, isPreview, videoId, durationSeconds } = lesson;
  return { id, position, title, summary, isPreview, videoId, durationSeconds };
}

/** Opaque keyset cursors: the last row's sort value and id. */
function encodeCursor(value: string | number, id: string): string {
  return btoa(JSON.stringify([value, id])).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** What each sort's cursor holds, checked before it reaches SQL casts (`::timestamptz`, `::uuid`). */
const CURSORS = {
  newest: z.tuple([z.iso.datetime(), z.uuid()]),
  title: z.tuple([z.string().max(200), z.uuid()]),
  relevance: z.tuple([z.number().finite(), z.uuid()]),
};

function decodeCursor(cursor: string, sort: Sort): [string | number, string] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(atob(cursor.replaceAll('-', '+').replaceAll('_', '/')));
  } catch {
    decoded = undefined;
  }
  const parsed = CURSORS[sort].safeParse(decoded);
  if (!parsed.success) throw new AppError('invalid_cursor', 'The cursor is not one this API gave out for this sort: start again without it.');
  return parsed.data;
}

/** Published courses, searched in English and Arabic (their text and their captions), filtered, sorted, one keyset page at a time. */
export async function listCourses(db: NeonDatabase, query: CatalogQuery): Promise<{ items: CourseCard[]; nextCursor: string | null }> {
  const sort = query.sort ?? (query.q ? 'relevance' : 'newest');
  if (sort === 'relevance' && !query.q) throw new AppError('invalid_request', 'Sorting by relevance needs a search query (q).');
  const tsQuery = query.q ? textQuery(query.q) : undefined;
  const rank = tsQuery ? sql<number>`ts_rank_cd(${courses.search}, ${tsQuery})` : sql<number>`0`;
  const where: SQL[] = [eq(courses.status, 'published')];
  // Its title, summary or tags, or what is said in its lessons (ranked after those).
  if (tsQuery) where.push(sql`(${courses.search} @@ ${tsQuery} or ${courses.id} in (select ${captionTracks.courseId} from kce_spoken_tracks(${tsQuery}) said join ${captionTracks} on ${captionTracks.id} = said.track_id))`);
  if (query.language) where.push(eq(courses.language, query.language));
  if (query.level) where.push(eq(courses.level, query.level));
  if (query.tag) where.push(sql`${courses.tags} @> array[${query.tag}]::text[]`);
  if (query.cursor) {
    const [value, id] = decodeCursor(query.cursor, sort);
    if (sort === 'newest') where.push(sql`(${courses.publishedAt}, ${courses.id}) < (${String(value)}::timestamptz, ${id}::uuid)`);
    if (sort === 'title') where.push(sql`(${courses.title}, ${courses.id}) > (${String(value)}, ${id}::uuid)`);
    if (sort === 'relevance') where.push(sql`(${rank}, ${courses.id}) < (${Number(value)}::real, ${id}::uuid)`);
  }
  const order = { newest: [desc(courses.publishedAt), desc(courses.id)], title: [asc(courses.title), asc(courses.id)], relevance: [desc(rank), desc(courses.id)] }[sort];
  const rows = await db
    .select({ ...cardColumns, rank })
    .from(courses)
    .where(and(...where))
    .orderBy(...order)
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const more = rows.length > query.limit && last;
  const nextCursor = more
    ? encodeCursor(sort === 'newest' ? (last.publishedAt?.toISOString() ?? '') : sort === 'title' ? last.title : last.rank, last.id)
    : null;
  return { items: page.map(({ rank: _, ...card }) => toCard(card)), nextCursor };
}

/** The published ones of these courses, as catalog cards, by id (recommendations name courses ClickHouse knows, published or not). */
export async function publishedCards(db: NeonDatabase, ids: readonly string[]): Promise<Map<string, CourseCard>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select(cardColumns).from(courses).where(and(eq(courses.status, 'published'), inArray(courses.id, [...new Set(ids)])));
  return new Map(rows.map((row) => [row.id, toCard(row)]));
}

/** Courses an instructor owns (an admin: every course of this jurisdiction), drafts included. */
export async function listOwnCourses(db: NeonDatabase, user: { sub: string; role: string }): Promise<Array<CourseCard & { status: Course['status'] }>> {
  const rows = await db
    .select({ ...cardColumns, status: courses.status })
    .from(courses)
    .where(user.role === 'admin' ? undefined : eq(courses.instructorId, user.sub))
    .orderBy(desc(courses.updatedAt))
    .limit(500);
  return rows.map(({ status, ...card }) => ({ ...toCard(card), status }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findCourse(db: NeonDatabase, idOrSlug: string): Promise<CourseDetail | undefined> {
  const [row] = await db
    .select({ course: courses, prices })
    .from(courses)
    .where(UUID.test(idOrSlug) ? eq(courses.id, idOrSlug) : eq(courses.slug, idOrSlug.normalize('NFC').toLowerCase()))
    .limit(1);
  if (!row) return undefined;
  const courseLessons = await db.select().from(lessons).where(eq(lessons.courseId, row.course.id)).orderBy(asc(lessons.position));
  const { search: _, createdAt: _c, updatedAt: _u, publishedAt, ...fields } = row.course;
  return {
    ...fields,
    prices: row.prices,
    publishedAt: publishedAt?.toISOString() ?? null,
    lessonCount: courseLessons.length,
    lessons: courseLessons.map(lessonView),
  };
}

export function courseNotFound(idOrSlug: string): AppError {
  return notFound(`course "${idOrSlug}"`);
}

/** Who may change a course: its instructor or an admin, and only in its home jurisdiction. */
export function assertCanEdit(course: Pick<Course, 'instructorId' | 'originJurisdiction'>, user: { sub: string; role: string }, jurisdiction: string): void {
  if (course.originJurisdiction !== jurisdiction) {
    throw new AppError('replica_read_only', `This course is a copy from the "${course.originJurisdiction}" jurisdiction: edit it there.`);
  }
  if (user.role !== 'admin' && course.instructorId !== user.sub) throw new AppError('forbidden', 'Only the course’s instructor or an admin can change it.');
}

const UNIQUE_VIOLATION = '23505';
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.code === UNIQUE_VIOLATION || e.cause?.code === UNIQUE_VIOLATION;
}

function slugFrom(title: string): string {
  const slug = title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug.length >= 3 ? slug : `course-${crypto.randomUUID().slice(0, 8)}`;
}

async function slugTaken<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('slug_taken', 'Another course already uses this slug: choose another.');
    throw error;
  }
}

export async function createCourse(
  db: NeonDatabase,
  input: z.output<typeof NewCourse>,
  owner: { id: string; displayName: string },
  jurisdiction: string,
): Promise<Course> {
  const [course] = await slugTaken(() =>
    db
      .insert(courses)
      .values({ ...input, slug: input.slug ?? slugFrom(input.title), instructorId: owner.id, instructorName: owner.displayName, originJurisdiction: jurisdiction })
      .returning(),
  );
  if (!course) throw new Error('insert returned no row');
  return course;
}

export async function loadCourse(db: Pick<NeonDatabase, 'select'>, id: string): Promise<Course> {
  const [course] = await db.select().from(courses).where(eq(courses.id, id)).limit(1);
  if (!course) throw courseNotFound(id);
  return course;
}

/** Every change bumps the version: replicas apply a change once, and in order. */
export async function updateCourse(db: NeonDatabase, id: string, changes: z.output<typeof CourseChanges> | { status: 'draft' | 'published'; publishedAt?: Date }): Promise<Course> {
  const [course] = await slugTaken(() =>
    db
      .update(courses)
      .set({ ...changes, version: sql`${courses.version} + 1`, updatedAt: new Date() })
      .where(eq(courses.id, id))
      .returning(),
  );
  if (!course) throw courseNotFound(id);
  return course;
}

export async function publishCourse(db: NeonDatabase, course: Course): Promise<Course> {
  const [{ n } = { n: 0 }] = await db.select({ n: sql<number>`count(*)::int` }).from(lessons).where(eq(lessons.courseId, course.id));
  if (n === 0) throw new AppError('course_incomplete', 'Add at least one lesson before publishing the course.');
  return updateCourse(db, course.id, { status: 'published', publishedAt: course.publishedAt ?? new Date() });
}

/** A change to a course's lessons is a change to the course: a new version for caches and replicas. */
export async function touchCourse(db: Pick<NeonDatabase, 'update'>, courseId: string): Promise<void> {
  await db.update(courses).set({ version: sql`${courses.version} + 1`, updatedAt: new Date() }).where(eq(courses.id, courseId));
}

export async function addLesson(db: NeonDatabase, courseId: string, input: z.output<typeof NewLesson>, jurisdiction: string): Promise<Lesson> {
  return db.transaction(async (tx) => {
    if (input.videoId) await assertAttachable(tx, courseId, input.videoId, jurisdiction);
    const [{ next } = { next: 0 }] = await tx
      .select({ next: sql<number>`coalesce(max(${lessons.position}) + 1, 0)::int` })
      .from(lessons)
      .where(eq(lessons.courseId, courseId));
    const [lesson] = await tx.insert(lessons).values({ ...input, courseId, originJurisdiction: jurisdiction, position: next }).returning();
    if (!lesson) throw new Error('insert returned no row');
    await touchCourse(tx, courseId);
    return lesson;
  });
}

export async function updateLesson(db: NeonDatabase, courseId: string, lessonId: string, changes: z.output<typeof LessonChanges>, jurisdiction: string): Promise<Lesson> {
  return db.transaction(async (tx) => {
    if (changes.videoId) await assertAttachable(tx, courseId, changes.videoId, jurisdiction);
    const [lesson] = await tx
      .update(lessons)
      .set({ ...changes, updatedAt: new Date() })
      .where(and(eq(lessons.id, lessonId), eq(lessons.courseId, courseId)))
      .returning();
    if (!lesson) throw notFound('such lesson in this course');
    await touchCourse(tx, courseId);
    return lesson;
  });
}

export async function removeLesson(db: NeonDatabase, courseId: string, lessonId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const removed = await tx.delete(lessons).where(and(eq(lessons.id, lessonId), eq(lessons.courseId, courseId))).returning({ id: lessons.id });
    if (removed.length === 0) throw notFound('such lesson in this course');
    await touchCourse(tx, courseId);
  });
}

/** The new order must name every lesson of the course exactly once. */
export async function reorderLessons(db: NeonDatabase, courseId: string, lessonIds: string[]): Promise<void> {
  await db.transaction(async (tx) => {
    const current = await tx.select({ id: lessons.id }).from(lessons).where(eq(lessons.courseId, courseId));
    const known = new Set(current.map((lesson) => lesson.id));
    if (new Set(lessonIds).size !== lessonIds.length || lessonIds.length !== known.size || !lessonIds.every((id) => known.has(id))) {
      throw invalidFields([{ field: 'lessonIds', message: 'must list every lesson of the course exactly once' }]);
    }
    if (lessonIds.length > 0) {
      const cases = sql.join(lessonIds.map((id, position) => sql`when ${id}::uuid then ${position}::int`), sql` `);
      await tx.update(lessons).set({ position: sql`case ${lessons.id} ${cases} end`, updatedAt: new Date() }).where(inArray(lessons.id, lessonIds));
    }
    await touchCourse(tx, courseId);
  });
}
