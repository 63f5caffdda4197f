import { keepPreviousData, skipToken, useQueries, useQuery } from '@tanstack/react-query';
import { client, unwrap } from '../api/client.ts';

export type { Dashboard, PlaybackQuality, PlaybackQualityMetrics } from '../api/types.ts';

export interface Filters {
  from: string;
  to: string;
  /** Unset: every course the caller may read. */
  courseId?: string;
}

/** An empty course (`?course=`) means every course, as an absent one does. */
const reportQuery = ({ from, to, courseId }: Filters) => ({ from, to, courseId: courseId || undefined });

export function useDashboard(filters: Filters) {
  return useQuery({
    queryKey: ['analytics', 'dashboard', filters],
    queryFn: ({ signal }) => unwrap(client.GET('/api/analytics/dashboard', { params: { query: reportQuery(filters) }, signal })),
    // The previous range stays on screen while the next loads: no flash of a spinner, no layout shift.
    placeholderData: keepPreviousData,
  });
}

export function usePlaybackQuality(filters: Filters) {
  return useQuery({
    queryKey: ['analytics', 'quality', filters],
    queryFn: ({ signal }) => unwrap(client.GET('/api/analytics/quality', { params: { query: reportQuery(filters) }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function useDropOff(videoId: string | undefined, filters: Filters) {
  return useQuery({
    queryKey: ['analytics', 'drop-off', videoId, filters],
    queryFn:
      videoId === undefined
        ? skipToken
        : ({ signal }) => unwrap(client.GET('/api/analytics/videos/{videoId}/drop-off', { params: { path: { videoId }, query: reportQuery(filters) }, signal })),
    placeholderData: keepPreviousData,
  });
}

/** The courses the caller teaches (admins: all of them): the course filter and the names in the reports. */
export function useOwnCourses() {
  return useQuery({
    queryKey: ['courses', 'mine'],
    queryFn: ({ signal }) => unwrap(client.GET('/api/courses/mine', { signal })),
  });
}

/**
 * Reports name videos by id only; their lessons carry the titles. One request per course among
 * the top videos (at most ten), kept five minutes.
 */
export function useLessonTitles(courseIds: string[]): Map<string, string> {
  const details = useQueries({
    queries: courseIds.map((id) => ({
      queryKey: ['analytics', 'course', id],
      queryFn: ({ signal }: { signal: AbortSignal }) => unwrap(client.GET('/api/courses/{idOrSlug}', { params: { path: { idOrSlug: id } }, signal })),
      staleTime: 5 * 60_000,
    })),
  });
  const titles = new Map<string, string>();
  for (const detail of details) {
    for (const lesson of detail.data?.lessons ?? []) if (lesson.videoId) titles.set(lesson.videoId, lesson.title);
  }
  return titles;
}
