import { Hono, type Context } from 'hono';
import { accountGone } from '../../lib/errors.ts';
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
  removeLesson,
  reorderLessons,
  updateCourse,
  updateLesson,
} from '../catalog/courses.ts';
import { enrollmentIn, enroll, unenroll } from '../catalog/learning.ts';
import { contentSyncQueues, replicateCourse } from '../catalog/replication.ts';
import { CatalogQuery, CourseChanges, CourseRef, CourseIdParam, LessonChanges, LessonOrder, LessonParams, NewCourse, NewLesson } from '../catalog/schemas.ts';
import type { ApiEnv } from '../context.ts';
import { findUser } from '../identity/accounts.ts';
import { optionalUser, requireRole, requireUser } from '../middleware/auth.ts';
import { limitBody, valid } from '../validation.ts';

type C = Context<ApiEnv>;

async function replicate(c: C, courseId: string): Promise<void> {
  const { config, database } = c.var.services;
  await replicateCourse(database().db, courseId, config.JURISDICTION, contentSyncQueues(config.REPLICATE_TO, c.env), c.var.trace.traceparent);
}

/** A write to a course: authorised, between cache generation bumps, then replicated. */
async function editCourse<T>(c: C, courseId: string, write: () => Promise<T>): Promise<T> {
  const { config, database, cache } = c.var.services;
  assertCanEdit(await loadCourse(database().db, courseId), c.var.user, config.JURISDICTION);
  const result = await changingCatalog(cache(), write);
  await replicate(c, courseId);
  return result;
}

export const coursesRoutes = new Hono<ApiEnv>()
  .use(limitBody(64 * 1024))
  .get('/', valid('query', CatalogQuery), async (c) => {
    const query = c.req.valid('query');
    const { database, cache } = c.var.services;
    const key = `catalog:list:${JSON.stringify(query)}`;
    const { value, hit } = await cachedCatalog(cache(), key, () => listCourses(database().db, query));
    c.header('x-cache', hit ? 'hit' : 'miss');
    return c.json(value);
  })
  .get('/mine', requireUser, requireRole('instructor', 'admin'), async (c) => {
    return c.json({ items: await listOwnCourses(c.var.services.database().db, c.var.user) });
  })
  .post('/', requireUser, requireRole('instructor', 'admin'), valid('json', NewCourse), async (c) => {
    const { config, database, cache } = c.var.services;
    const { db } = database();
    const owner = await findUser(db, c.var.user.sub);
    if (!owner) throw accountGone();
    const course = await changingCatalog(cache(), () => createCourse(db, c.req.valid('json'), owner, config.JURISDICTION));
    return c.json(await findCourse(db, course.id), 201);
  })
  .get('/:idOrSlug', optionalUser, async (c) => {
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
    return c.json({ ...course, enrollment: viewer ? await enrollmentIn(db, viewer.sub, course) : null });
  })
  .patch('/:id', requireUser, valid('param', CourseIdParam), valid('json', CourseChanges), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, () => updateCourse(db, id, c.req.valid('json')));
    return c.json(await findCourse(db, id));
  })
  .post('/:id/publish', requireUser, valid('param', CourseIdParam), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, async () => publishCourse(db, await loadCourse(db, id)));
    return c.json(await findCourse(db, id));
  })
  .post('/:id/unpublish', requireUser, valid('param', CourseIdParam), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, () => updateCourse(db, id, { status: 'draft' }));
    return c.json(await findCourse(db, id));
  })
  .post('/:id/lessons', requireUser, valid('param', CourseIdParam), valid('json', NewLesson), async (c) => {
    const { id } = c.req.valid('param');
    const { config, database } = c.var.services;
    const lesson = await editCourse(c, id, () => addLesson(database().db, id, c.req.valid('json'), config.JURISDICTION));
    return c.json(lesson, 201);
  })
  .patch('/:id/lessons/:lessonId', requireUser, valid('param', LessonParams), valid('json', LessonChanges), async (c) => {
    const { id, lessonId } = c.req.valid('param');
    const { config, database } = c.var.services;
    return c.json(await editCourse(c, id, () => updateLesson(database().db, id, lessonId, c.req.valid('json'), config.JURISDICTION)));
  })
  .delete('/:id/lessons/:lessonId', requireUser, valid('param', LessonParams), async (c) => {
    const { id, lessonId } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, () => removeLesson(db, id, lessonId));
    return c.body(null, 204);
  })
  .put('/:id/lessons/order', requireUser, valid('param', CourseIdParam), valid('json', LessonOrder), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, () => reorderLessons(db, id, c.req.valid('json').lessonIds));
    return c.json(await findCourse(db, id));
  })
  .post('/:id/enrollment', requireUser, valid('param', CourseIdParam), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await enroll(db, c.var.user.sub, id);
    const course = await findCourse(db, id);
    if (!course) throw courseNotFound(id);
    return c.json(await enrollmentIn(db, c.var.user.sub, course), 201);
  })
  .delete('/:id/enrollment', requireUser, valid('param', CourseIdParam), async (c) => {
    await unenroll(c.var.services.database().db, c.var.user.sub, c.req.valid('param').id);
    return c.body(null, 204);
  });
