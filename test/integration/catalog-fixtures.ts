import { expect } from 'vitest';
import type { CourseDetail } from '../../workers/api/catalog/schemas.ts';
import { call, type SignedIn } from './client.ts';

export const unique = () => crypto.randomUUID().slice(0, 8);

/** A published course of the instructor's, with `lessonCount` lessons. */
export async function publishedCourse(instructor: SignedIn, fields: Record<string, unknown> = {}, lessonCount = 2) {
  const created = await call<CourseDetail>('/api/courses', { token: instructor.accessToken, json: { title: `Course ${unique()}`, ...fields } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const lessons = [];
  for (let n = 1; n <= lessonCount; n++) {
    const lesson = await call<{ id: string }>(`/api/courses/${created.body.id}/lessons`, { token: instructor.accessToken, json: { title: `Lesson ${n}`, isPreview: n === 1 } });
    expect(lesson.status).toBe(201);
    lessons.push(lesson.body);
  }
  const published = await call<CourseDetail>(`/api/courses/${created.body.id}/publish`, { method: 'POST', token: instructor.accessToken });
  expect(published.status, JSON.stringify(published.body)).toBe(200);
  return { course: published.body, lessons };
}

