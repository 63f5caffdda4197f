import { describe, expect, it } from 'vitest';
import type { CourseCard, CourseDetail } from '../../workers/api/catalog/schemas.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, signedInAs } from './client.ts';

interface Page {
  items: CourseCard[];
  nextCursor: string | null;
}
type Detail = CourseDetail & { enrollment: { progressPercent: number; completedLessons: number; nextLessonId: string | null; lessons: Record<string, { positionSeconds: number; completed: boolean }> } | null };

const unique = () => crypto.randomUUID().slice(0, 8);

describe('courses and lessons', () => {
  it('an instructor creates, fills, reorders and publishes a course; learners then see it', async () => {
    const instructor = await signedInAs('instructor');
    const tag = `t${unique()}`;
    const created = await call<Detail>('/api/courses', {
      token: instructor.accessToken,
      json: { title: 'Edge Computing Basics', summary: 'Workers, queues and caches', language: 'en', level: 'intermediate', tags: [tag] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', slug: expect.stringMatching(/^edge-computing-basics/), instructorName: 'Test Learner' });
    const id = created.body.id;
    expect((await call(`/api/courses/${id}`)).status).toBe(404);
    expect((await call(`/api/courses/${id}/publish`, { method: 'POST', token: instructor.accessToken })).body).toMatchObject({ error: { code: 'course_incomplete' } });

    const first = await call<{ id: string }>(`/api/courses/${id}/lessons`, { token: instructor.accessToken, json: { title: 'Why the edge' } });
    const second = await call<{ id: string }>(`/api/courses/${id}/lessons`, { token: instructor.accessToken, json: { title: 'Queues' } });
    const reordered = await call<Detail>(`/api/courses/${id}/lessons/order`, { method: 'PUT', token: instructor.accessToken, json: { lessonIds: [second.body.id, first.body.id] } });
    expect(reordered.body.lessons.map((lesson) => lesson.title)).toEqual(['Queues', 'Why the edge']);
    const badOrder = await call(`/api/courses/${id}/lessons/order`, { method: 'PUT', token: instructor.accessToken, json: { lessonIds: [second.body.id] } });
    expect(badOrder.status).toBe(400);

    const published = await call<Detail>(`/api/courses/${id}/publish`, { method: 'POST', token: instructor.accessToken });
    expect(published.body).toMatchObject({ status: 'published', publishedAt: expect.any(String) });
    const list = await call<Page>(`/api/courses?tag=${tag}`);
    expect(list.body.items.map((course) => course.id)).toEqual([id]);
    expect(list.body.items[0]).toMatchObject({ lessonCount: 2, level: 'intermediate' });
    const detail = await call<Detail>(`/api/courses/${created.body.slug}`);
    expect(detail.body).toMatchObject({ id, enrollment: null, lessons: [{ title: 'Queues', position: 0 }, { title: 'Why the edge', position: 1 }] });

    await call(`/api/courses/${id}/unpublish`, { method: 'POST', token: instructor.accessToken });
    expect((await call<Page>(`/api/courses?tag=${tag}`)).body.items).toEqual([]);
    expect((await call(`/api/courses/${created.body.slug}`)).status).toBe(404);
    expect((await call(`/api/courses/${created.body.slug}`, { token: instructor.accessToken })).status).toBe(200);
  });

  it('searches titles, summaries and tags in English and Arabic, with ranking, filters and sorting', async () => {
    const instructor = await signedInAs('instructor');
    const word = `quasar${unique()}`;
    const { course: inTitle } = await publishedCourse(instructor, { title: `Mastering ${word} pipelines`, tags: ['data'] });
    // Titled so that sorting by title puts it first, while relevance (a title match) puts it second.
    const { course: inSummary } = await publishedCourse(instructor, { title: `Another ${unique()}`, summary: `A note on ${word}`, level: 'advanced' });
    const search = await call<Page>(`/api/courses?q=${word}`);
    expect(search.body.items.map((course) => course.id)).toEqual([inTitle.id, inSummary.id]);
    expect((await call<Page>(`/api/courses?q=${word}&level=advanced`)).body.items.map((c) => c.id)).toEqual([inSummary.id]);
    expect((await call<Page>(`/api/courses?q=${word}&sort=title`)).body.items.map((c) => c.id)).toEqual([inSummary.id, inTitle.id]);

    const arabicWord = 'الخوارزميات';
    const { course: arabic } = await publishedCourse(instructor, { title: `مقدمة في ${arabicWord} ${unique()}`, language: 'ar' });
    const found = await call<Page>(`/api/courses?q=${encodeURIComponent(arabicWord)}&language=ar`);
    expect(found.body.items.map((course) => course.id)).toContain(arabic.id);
  });

  it('pages through the catalog with cursors, without repeats or gaps', async () => {
    const instructor = await signedInAs('instructor');
    const tag = `page${unique()}`;
    const ids = [];
    for (let n = 0; n < 5; n++) ids.push((await publishedCourse(instructor, { title: `Paged ${n} ${unique()}`, tags: [tag] }, 1)).course.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page } = await call<Page>(`/api/courses?tag=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((course) => course.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });
});

describe('enrollment and progress', () => {
  it('enrolls, saves and resumes positions, completes at 95%, and reports course progress', async () => {
    const instructor = await signedInAs('instructor');
    const { course, lessons } = await publishedCourse(instructor, {}, 2);
    const learner = await signedInAs('learner');
    const [first, second] = lessons as [{ id: string }, { id: string }];

    const notEnrolled = await call(`/api/lessons/${first.id}/progress`, { method: 'PUT', token: learner.accessToken, json: { positionSeconds: 10, durationSeconds: 100 } });
    expect(notEnrolled.status).toBe(403);
    const enrolled = await call(`/api/courses/${course.id}/enrollment`, { method: 'POST', token: learner.accessToken });
    expect(enrolled.status).toBe(201);

    const saved = await call(`/api/lessons/${first.id}/progress`, { method: 'PUT', token: learner.accessToken, json: { positionSeconds: 42.5, durationSeconds: 100 } });
    expect(saved.body).toMatchObject({ positionSeconds: 42.5, completed: false, courseProgressPercent: 0 });
    let detail = await call<Detail>(`/api/courses/${course.slug}`, { token: learner.accessToken });
    expect(detail.body.enrollment?.lessons[first.id]).toMatchObject({ positionSeconds: 42.5, completed: false });
    expect(detail.body.enrollment?.nextLessonId).toBe(first.id);

    const almost = await call(`/api/lessons/${first.id}/progress`, { method: 'PUT', token: learner.accessToken, json: { positionSeconds: 94.9, durationSeconds: 100 } });
    expect(almost.body).toMatchObject({ completed: false });
    const done = await call(`/api/lessons/${first.id}/progress`, { method: 'PUT', token: learner.accessToken, json: { positionSeconds: 95, durationSeconds: 100 } });
    expect(done.body).toMatchObject({ completed: true, courseProgressPercent: 50 });
    const rewatch = await call(`/api/lessons/${first.id}/progress`, { method: 'PUT', token: learner.accessToken, json: { positionSeconds: 5, durationSeconds: 100 } });
    expect(rewatch.body).toMatchObject({ completed: true, positionSeconds: 5 });

    detail = await call<Detail>(`/api/courses/${course.slug}`, { token: learner.accessToken });
    expect(detail.body.enrollment).toMatchObject({ progressPercent: 50, completedLessons: 1, nextLessonId: second.id });

    const learning = await call<{ items: Array<{ courseId: string; progressPercent: number; nextLesson: { id: string } | null }> }>('/api/me/learning', { token: learner.accessToken });
    expect(learning.body.items).toEqual([expect.objectContaining({ courseId: course.id, progressPercent: 50, nextLesson: expect.objectContaining({ id: second.id }) })]);

    expect((await call(`/api/courses/${course.id}/enrollment`, { method: 'DELETE', token: learner.accessToken })).status).toBe(204);
    expect((await call<{ items: unknown[] }>('/api/me/learning', { token: learner.accessToken })).body.items).toEqual([]);
  });
});

describe('who may do what', () => {
  it('learners cannot create courses; instructors cannot edit another instructor’s course; admins can', async () => {
    const learner = await signedInAs('learner');
    expect((await call('/api/courses', { token: learner.accessToken, json: { title: 'Not allowed' } })).status).toBe(403);
    const owner = await signedInAs('instructor');
    const other = await signedInAs('instructor');
    const { course, lessons } = await publishedCourse(owner);
    const attempts = [
      call(`/api/courses/${course.id}`, { method: 'PATCH', token: other.accessToken, json: { title: 'Hijacked' } }),
      call(`/api/courses/${course.id}/lessons`, { token: other.accessToken, json: { title: 'Sneaked in' } }),
      call(`/api/courses/${course.id}/lessons/${lessons[0]!.id}`, { method: 'DELETE', token: other.accessToken }),
      call(`/api/courses/${course.id}/unpublish`, { method: 'POST', token: other.accessToken }),
      call(`/api/courses/${course.id}`, { method: 'PATCH', token: learner.accessToken, json: { title: 'Hijacked' } }),
    ];
    for (const attempt of await Promise.all(attempts)) expect(attempt.status).toBe(403);
    expect((await call<Detail>(`/api/courses/${course.id}`)).body).toMatchObject({ title: course.title, lessonCount: 2, status: 'published' });
    const admin = await signedInAs('admin');
    const edited = await call<Detail>(`/api/courses/${course.id}`, { method: 'PATCH', token: admin.accessToken, json: { title: 'Edited by an admin' } });
    expect(edited.body).toMatchObject({ title: 'Edited by an admin' });
  });
});

describe('bad input', () => {
  it('answers an unknown slug with 404 and an invalid cursor with 400', async () => {
    const missing = await call('/api/courses/no-such-course-anywhere');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'not_found' } });
    for (const cursor of ['garbage', btoa('["x","not-a-uuid"]'), btoa('{}')]) {
      const answer = await call(`/api/courses?cursor=${encodeURIComponent(cursor)}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: { code: 'invalid_cursor' } });
    }
    expect((await call('/api/courses?limit=500')).status).toBe(400);
    expect((await call('/api/courses?sort=relevance')).status).toBe(400);
    expect((await call('/api/courses?unknown=1')).status).toBe(400);
  });

  it('refuses oversized and malformed bodies, changing nothing', async () => {
    const instructor = await signedInAs('instructor');
    const { course } = await publishedCourse(instructor);
    const huge = await call(`/api/courses/${course.id}`, { method: 'PATCH', token: instructor.accessToken, json: { description: 'x'.repeat(70_000) } });
    expect(huge.status).toBe(413);
    const broken = await call(`/api/courses/${course.id}`, { method: 'PATCH', token: instructor.accessToken, body: '{"title":', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    const wrong = await call(`/api/courses/${course.id}`, { method: 'PATCH', token: instructor.accessToken, json: { title: 42, tags: 'not-a-list', coverImageUrl: 'javascript:alert(1)' } });
    expect(wrong.status).toBe(400);
    expect((wrong.body as { error: { fields: Array<{ field: string }> } }).error.fields.map((f) => f.field).sort()).toEqual(['coverImageUrl', 'tags', 'title']);
    expect((await call<Detail>(`/api/courses/${course.id}`)).body).toMatchObject({ title: course.title, version: course.version });
  });
});
