import { queryOptions } from '@tanstack/react-query';
import { client, unwrap } from '../api/client.ts';
import type { CourseCard, CoursePage, CourseWithEnrollment, Level } from '../api/types.ts';

export type { ContinueLearning, CourseCard, EnrollmentView as Enrollment, LessonView, Level, Playback, RecommendedCourse } from '../api/types.ts';
/** The course page's course: the detail with the viewer's enrollment. */
export type CourseDetail = CourseWithEnrollment;
export type CourseLanguage = CourseCard['language'];
export type Sort = 'relevance' | 'newest' | 'title';

export interface CatalogFilters {
  q?: string;
  language?: CourseLanguage;
  level?: Level;
  tag?: string;
  sort?: Sort;
}

const PAGE_SIZE = 12;

export function catalogQuery(filters: CatalogFilters) {
  return {
    queryKey: ['courses', filters] as const,
    queryFn: ({ pageParam, signal }: { pageParam: string | undefined; signal: AbortSignal }) =>
      unwrap(client.GET('/api/courses', { params: { query: { limit: PAGE_SIZE, ...filters, cursor: pageParam } }, signal })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: CoursePage) => last.nextCursor ?? undefined,
  };
}

/** Keyed by what the address bar says (id or slug); the course and player pages share it. */
export function courseQuery(idOrSlug: string) {
  return queryOptions({
    queryKey: ['course', idOrSlug],
    queryFn: ({ signal }) => unwrap(client.GET('/api/courses/{idOrSlug}', { params: { path: { idOrSlug } }, signal })),
  });
}

const SPOKEN_HITS = 10;

/** Lessons whose captions say the words: where, and the line that says them. */
export function spokenQuery(q: string) {
  return queryOptions({
    queryKey: ['spoken', q],
    queryFn: ({ signal }) => unwrap(client.GET('/api/search', { params: { query: { q, limit: SPOKEN_HITS } }, signal })),
  });
}

export const learningQuery = queryOptions({
  queryKey: ['learning'],
  queryFn: ({ signal }) => unwrap(client.GET('/api/me/learning', { signal })),
});

/** Learners who took this course also took. */
export function relatedQuery(courseId: string) {
  return queryOptions({
    queryKey: ['related', courseId],
    queryFn: ({ signal }) => unwrap(client.GET('/api/courses/{id}/related', { params: { path: { id: courseId } }, signal })),
  });
}

/** Under `learning`, so enrolling or leaving a course (which refreshes the learner's courses) refreshes it too. */
export const forYouQuery = queryOptions({
  queryKey: ['learning', 'for-you'],
  queryFn: ({ signal }) => unwrap(client.GET('/api/me/recommendations', { signal })),
});

export function lessonPath(course: Pick<CourseCard, 'slug'>, lessonId: string): string {
  return `/courses/${encodeURIComponent(course.slug)}/lessons/${lessonId}`;
}

/** 83 → "1:23", 3725 → "1:02:05": durations and positions read the same in both languages. */
export function formatClock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(totalSeconds) ? totalSeconds : 0));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}
