import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import type { CourseDetail, Dashboard as DashboardSections, DropOff as DropOffCurve, OwnCourse } from '../api/types.ts';

/** The range and scope every report answer repeats (`workers/api/routes/analytics.ts`). */
interface Scope {
  from: string;
  to: string;
  courseId: string | null;
}

/** `GET /api/analytics/dashboard`. */
export type Dashboard = Scope & DashboardSections;
/** `GET /api/analytics/videos/:videoId/drop-off`. */
export type DropOff = Scope & { dropOff: DropOffCurve };

export interface Filters {
  from: string;
  to: string;
  /** Unset: every course the caller may read. */
  courseId?: string;
}

function reportQuery({ from, to, courseId }: Filters): string {
  const params = new URLSearchParams({ from, to });
  if (courseId) params.set('courseId', courseId);
  return params.toString();
}

export function useDashboard(filters: Filters) {
  return useQuery({
    queryKey: ['analytics', 'dashboard', filters],
    queryFn: ({ signal }) => api<Dashboard>(`/api/analytics/dashboard?${reportQuery(filters)}`, { signal }),
    // The previous range stays on screen while the next loads: no flash of a spinner, no layout shift.
    placeholderData: keepPreviousData,
  });
}

export function useDropOff(videoId: string | undefined, filters: Filters) {
  return useQuery({
    queryKey: ['analytics', 'drop-off', videoId, filters],
    queryFn: ({ signal }) => api<DropOff>(`/api/analytics/videos/${videoId}/drop-off?${reportQuery(filters)}`, { signal }),
    enabled: videoId !== undefined,
    placeholderData: keepPreviousData,
  });
}

/** The courses the caller teaches (admins: all of them): the course filter and the names in the reports. */
export function useOwnCourses() {
  return useQuery({
    queryKey: ['courses', 'mine'],
    queryFn: ({ signal }) => api<{ items: OwnCourse[] }>('/api/courses/mine', { signal }),
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
      queryFn: ({ signal }: { signal: AbortSignal }) => api<CourseDetail>(`/api/courses/${id}`, { signal }),
      staleTime: 5 * 60_000,
    })),
  });
  const titles = new Map<string, string>();
  for (const detail of details) {
    for (const lesson of detail.data?.lessons ?? []) if (lesson.videoId) titles.set(lesson.videoId, lesson.title);
  }
  return titles;
}
