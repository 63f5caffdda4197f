import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { api } from '../api/client.ts';

/** The answers of `GET /api/analytics/dashboard` and `…/videos/:videoId/drop-off` (see workers/analytics/dashboards.ts). */
export interface Audience {
  learners: number;
  events: number;
  plays: number;
  watchTimeSeconds: number;
}

export interface Dashboard {
  from: string;
  to: string;
  courseId: string | null;
  summary: {
    activeLearners: number;
    dailyActiveLearners: Array<{ day: string; learners: number }>;
    enrollments: number;
    plays: number;
    watchTimeSeconds: number;
    averageWatchTimeSeconds: number | null;
    completionRate: number | null;
  };
  top: {
    courses: Array<{ courseId: string; plays: number; watchTimeSeconds: number; enrollments: number }>;
    videos: Array<{ videoId: string; courseId: string; plays: number; watchTimeSeconds: number; completions: number }>;
  };
  funnel: Array<{ stage: 'play' | '25%' | '50%' | '75%' | 'complete'; viewings: number; share: number | null }>;
  breakdown: {
    countries: Array<{ country: string } & Audience>;
    devices: Array<{ device: string } & Audience>;
  };
}

export interface DropOff {
  dropOff: {
    videoId: string;
    viewers: number;
    curve: Array<{ percent: number; stillWatching: number; share: number | null }>;
  };
}

interface CourseCard {
  id: string;
  title: string;
}

interface CourseDetail extends CourseCard {
  lessons: Array<{ id: string; title: string; videoId: string | null }>;
}

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
    queryFn: ({ signal }) => api<{ items: CourseCard[] }>('/api/courses/mine', { signal }),
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
