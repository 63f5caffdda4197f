import { Hono, type Context } from 'hono';
import { accountGone, type ErrorCode } from '../../lib/errors.ts';
import { cachedCatalog, changingCatalog } from '../catalog/cache.ts';
import {
  addLesson,
  assertCanEdit,
  courseNotFound,
  createCourse,
  findCourse,
  listCourses,
  listOwnCourses,
  loadCourse,
  publishCourse,
  publishedCards,
  removeLesson,
  reorderLessons,
  updateCourse,
  updateLesson,
} from '../catalog/courses.ts';
import { enrollmentIn, enroll, unenroll } from '../catalog/learning.ts';
import { fromAnalytics, relatedCourses, SHOWN } from '../catalog/recommendations.ts';
import { contentSyncQueues, replicateCourse } from '../catalog/replication.ts';
import {
  CatalogQuery,
  CourseChanges,
  CourseDetail,
  CourseIdParam,
  CoursePage,
  CourseRef,
  CourseWithEnrollment,
  EnrollmentView,
  LessonChanges,
  LessonOrder,
  LessonParams,
  LessonView,
  NewCourse,
  NewLesson,
  OwnCourses,
  Recommendations,
} from '../catalog/schemas.ts';
import type { ApiEnv } from '../context.ts';
import { findUser } from '../identity/accounts.ts';
import { offerOf } from '../payments/ledger.ts';
import { optionalUser, requireRole, requireUser } from '../middleware/auth.ts';
import { documented } from '../openapi.ts';
import { limitBody, valid } from '../validation.ts';

type C = Context<ApiEnv>;

async function replicate(c: C, courseId: string): Promise<void> {
  const { config, database } = c.var.services;
  await replicateCourse(database().db, courseId, config.JURISDICTION, contentSyncQueues(config.REPLICATE_TO, c.env), c.var.trace.traceparent);
}

/** The course's instructor or an admin, at the course's home (a replica is read-only). */
export async function assertEditor(c: C, courseId: string): Promise<void> {
  const { config, database } = c.var.services;
  assertCanEdit(await loadCourse(database().db, courseId), c.var.user, config.JURISDICTION);
}

/** A write to a course: authorised, between cache generation bumps, then replicated. */
export async function editCourse<T>(c: C, courseId: string, write: () => Promise<T>): Promise<T> {
  await assertEditor(c, courseId);
  const result = await changingCatalog(c.var.services.cache(), write);
  await replicate(c, courseId);
  return result;
}

/** A change to a course by its instructor or an admin (`editCourse`): what it answers, and what it may refuse beyond the usual. */
const editing = (summary: string, answers: Parameters<typeof documented>[0]['answers'], refuses: ErrorCode[] = []) =>
  documented({
    summary,
    tags: ['courses'],
    access: 'signed-in',
    answers,
    refuses: ['invalid_request', 'not_found', 'forbidden', 'replica_read_only', 'cache_unavailable', 'payload_too_large', ...refuses],
  });

export const coursesRoutes = new Hono<ApiEnv>()
  .use(limitBody(64 * 1024))
  .get(
    '/',
    documented({
      summary: 'Search and browse the published catalog (keyset pages)',
      tags: ['courses'],
      access: 'public',
      answers: { 200: CoursePage },
      refuses: ['invalid_request', 'invalid_cursor'],
    }),
    valid('query', CatalogQuery), async (c) => {
    const query = c.req.valid('query');
    const { database, cache } = c.var.services;
    const key = `catalog:list:${JSON.stringify(query)}`;
    const { value, hit } = await cachedCatalog(cache(), key, () => listCourses(database().db, query));
    c.header('x-cache', hit ? 'hit' : 'miss');
    return c.json(value);
  })
  .get(
    '/mine',
    documented({ summary: 'The courses the caller teaches (all of them, for an admin), drafts included', tags: ['courses'], access: 'signed-in', answers: { 200: OwnCourses }, refuses: ['forbidden'] }),
    requireUser, requireRole('instructor', 'admin'), async (c) => {
    return c.json({ items: await listOwnCourses(c.var.services.database().db, c.var.user) });
  })
  .post(
    '/',
    documented({
      summary: 'Create a draft course (instructors and admins)',
      tags: ['courses'],
      access: 'signed-in',
      answers: { 201: CourseDetail },
      refuses: ['invalid_request', 'forbidden', 'not_found', 'slug_taken', 'cache_unavailable', 'payload_too_large'],
    }),
    requireUser,
    requireRole('instructor', 'admin'),
    valid('json', NewCourse), async (c) => {
    const { config, database, cache } = c.var.services;
    const { db } = database();
    const owner = await findUser(db, c.var.user.sub);
    if (!owner) throw accountGone();
    const course = await changingCatalog(cache(), () => createCourse(db, c.req.valid('json'), owner, config.JURISDICTION));
    return c.json(await findCourse(db, course.id), 201);
  })
  .get(
    '/:id/related',
    documented({
      summary: 'Learners who took this course also took: its published neighbours, most similar first',
      description:
        'Computed in this jurisdiction from its own learners (ClickHouse, refreshed hourly): cosine similarity of the courses’ learners, completions counting double, at least 2 learners in common. Empty for a course nobody took yet. Cached with the catalog (`x-cache`).',
      tags: ['courses'],
      access: 'public',
      answers: { 200: Recommendations },
      refuses: ['invalid_request', 'analytics_unavailable'],
    }),
    valid('param', CourseIdParam),
    async (c) => {
      const { id } = c.req.valid('param');
      const { database, cache } = c.var.services;
      const { value, hit } = await cachedCatalog(cache(), `recommendations:related:${id}`, async () => {
        const neighbours = await fromAnalytics(c.env.ANALYTICS.relatedCourses({ v: 1, traceparent: c.var.trace.traceparent, courseId: id, limit: 2 * SHOWN }));
        return relatedCourses(neighbours, await publishedCards(database().db, neighbours.map((neighbour) => neighbour.courseId)));
      });
      c.header('x-cache', hit ? 'hit' : 'miss');
      return c.json({ items: value });
    },
  )
  .get(
    '/:idOrSlug',
    documented({
      summary: 'A course by id or slug, with its lessons and the viewer’s enrollment (drafts for their instructor and admins only)',
      tags: ['courses'],
      access: 'optional',
      answers: { 200: CourseWithEnrollment },
      refuses: ['not_found'],
    }),
    optionalUser, async (c) => {
    const idOrSlug = c.req.param('idOrSlug');
    // Anything that cannot name a course is not one: no query, and no cache key, for it.
    if (!CourseRef.safeParse(idOrSlug).success) throw courseNotFound(idOrSlug);
    const { database, cache } = c.var.services;
    const { db } = database();
    const viewer = c.var.viewer;
    const { value: course, hit } = await cachedCatalog(cache(), `catalog:course:${idOrSlug.toLowerCase()}`, async () => (await findCourse(db, idOrSlug)) ?? null);
    const mayPreviewDraft = viewer && (viewer.role === 'admin' || viewer.sub === course?.instructorId);
    if (!course || (course.status !== 'published' && !mayPreviewDraft)) throw courseNotFound(idOrSlug);
    c.header('x-cache', hit ? 'hit' : 'miss');
    return c.json({
      ...course,
      enrollment: viewer ? await enrollmentIn(db, viewer.sub, course) : null,
      offer: await offerOf(db, course, c.var.services.config.JURISDICTION, viewer?.sub),
    });
  })
  .patch('/:id', editing('Change a course', { 200: CourseDetail }, ['slug_taken']), requireUser, valid('param', CourseIdParam), valid('json', CourseChanges), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, () => updateCourse(db, id, c.req.valid('json')));
    return c.json(await findCourse(db, id));
  })
  .post('/:id/publish', editing('Publish a course (it replicates to the other jurisdictions)', { 200: CourseDetail }, ['course_incomplete']), requireUser, valid('param', CourseIdParam), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, async () => publishCourse(db, await loadCourse(db, id)));
    return c.json(await findCourse(db, id));
  })
  .post('/:id/unpublish', editing('Withdraw a course to draft (everywhere it was replicated)', { 200: CourseDetail }), requireUser, valid('param', CourseIdParam), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, () => updateCourse(db, id, { status: 'draft' }));
    return c.json(await findCourse(db, id));
  })
  .post('/:id/lessons', editing('Add a lesson', { 201: LessonView }, ['invalid_video']), requireUser, valid('param', CourseIdParam), valid('json', NewLesson), async (c) => {
    const { id } = c.req.valid('param');
    const { config, database } = c.var.services;
    const lesson = await editCourse(c, id, () => addLesson(database().db, id, c.req.valid('json'), config.JURISDICTION));
    return c.json(lesson, 201);
  })
  .patch('/:id/lessons/:lessonId', editing('Change a lesson', { 200: LessonView }, ['invalid_video']), requireUser, valid('param', LessonParams), valid('json', LessonChanges), async (c) => {
    const { id, lessonId } = c.req.valid('param');
    const { config, database } = c.var.services;
    return c.json(await editCourse(c, id, () => updateLesson(database().db, id, lessonId, c.req.valid('json'), config.JURISDICTION)));
  })
  .delete('/:id/lessons/:lessonId', editing('Remove a lesson', { 204: null }), requireUser, valid('param', LessonParams), async (c) => {
    const { id, lessonId } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, () => removeLesson(db, id, lessonId));
    return c.body(null, 204);
  })
  .put('/:id/lessons/order', editing('Reorder the lessons (every lesson, once)', { 200: CourseDetail }), requireUser, valid('param', CourseIdParam), valid('json', LessonOrder), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, () => reorderLessons(db, id, c.req.valid('json').lessonIds));
    return c.json(await findCourse(db, id));
  })
  .post(
    '/:id/enrollment',
    documented({ summary: 'Enroll in a published course (a paid one once bought or granted)', tags: ['courses'], access: 'signed-in', answers: { 201: EnrollmentView }, refuses: ['invalid_request', 'not_found', 'payment_required'] }),
    requireUser, valid('param', CourseIdParam), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await enroll(db, c.var.user.sub, id);
    const course = await findCourse(db, id);
    if (!course) throw courseNotFound(id);
    return c.json(await enrollmentIn(db, c.var.user.sub, course), 201);
  })
  .delete(
    '/:id/enrollment',
    documented({ summary: 'Leave a course', tags: ['courses'], access: 'signed-in', answers: { 204: null }, refuses: ['invalid_request'] }),
    requireUser, valid('param', CourseIdParam), async (c) => {
    await unenroll(c.var.services.database().db, c.var.user.sub, c.req.valid('param').id);
    return c.body(null, 204);
  });
