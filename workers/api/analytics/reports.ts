import type { Redis } from '@upstash/redis/cloudflare';
import { eq } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { z } from 'zod';
import { courses } from '../../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import type { AccessClaims } from '../identity/tokens.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;
const REPORT_TTL_SECONDS = 60;

const Day = z.iso.date({ error: 'must be a date such as 2026-01-31' });
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `?from=&to=` (whole UTC days, the last 30 by default) and `&courseId=`. */
export const ReportParams = z
  .object({
    from: Day.optional(),
    to: Day.optional(),
    courseId: z.uuid({ error: 'must be a course id' }).optional(),
  })
  .transform(({ from, to, courseId }) => {
    const end = to ?? isoDay(Date.now());
    return { from: from ?? isoDay(Date.parse(end) - (DEFAULT_DAYS - 1) * DAY_MS), to: end, courseId };
  })
  .refine((range) => range.from <= range.to, { message: 'must not be after to', path: ['from'] })
  .refine((range) => Date.parse(range.to) - Date.parse(range.from) < MAX_DAYS * DAY_MS, {
    message: `the range must be at most ${MAX_DAYS} days`,
    path: ['to'],
  });

export const VideoParam = z.object({ videoId: z.uuid({ error: 'must be a video id' }) });

/** Which courses an instructor owns: the only ones whose analytics they may read. */
export interface CourseOwnership {
  coursesOwnedBy(instructorId: string): Promise<string[]>;
}

export function courseOwnership(db: NeonDatabase): CourseOwnership {
  return {
    async coursesOwnedBy(instructorId) {
      const rows = await db.select({ id: courses.id }).from(courses).where(eq(courses.instructorId, instructorId));
      return rows.map((row) => row.id);
    },
  };
}

/** Admins read the whole jurisdiction, instructors their own courses (learners never get here). */
export async function readableCourses(user: AccessClaims, courseId: string | undefined, ownership: CourseOwnership): Promise<'all' | string[]> {
  if (user.role === 'admin') return courseId ? [courseId] : 'all';
  const owned = await ownership.coursesOwnedBy(user.sub);
  if (!courseId) return owned.sort();
  if (!owned.includes(courseId)) throw new AppError('forbidden', 'You can read the analytics of your own courses only.');
  return [courseId];
}

/**
 * A report as cached for 60 s, keyed by what it covers (not by who asked: an instructor's scope is
 * the list of their courses). If Redis is down the report is read directly.
 */
export async function cachedReport<T>(
  cache: Redis,
  report: string,
  covers: Record<string, unknown>,
  read: () => Promise<T>,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<{ value: T; hit: boolean }> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(covers)));
  const key = `analytics:v1:${report}:${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const hit = await cache.get<T>(key).catch((error: unknown) => {
    log('warn', 'analytics cache unavailable; reading ClickHouse', { report, error: String(error) });
    return null;
  });
  if (hit !== null) return { value: hit, hit: true };
  const value = await read();
  waitUntil(cache.set(key, value, { ex: REPORT_TTL_SECONDS }).catch(() => undefined));
  return { value, hit: false };
}
