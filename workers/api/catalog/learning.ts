import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { courses, enrollments, lessonProgress, lessons } from '../../../db/schema.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { isEntitled } from '../payments/ledger.ts';
import type { ContinueLearning, CourseDetail, EnrollmentView, LessonProgressView } from './schemas.ts';

/** A lesson counts as done once 95% of it has been watched. */
export const COMPLETION_RATIO = 0.95;

export async function enroll(db: NeonDatabase, userId: string, courseId: string): Promise<void> {
  const [course] = await db.select({ status: courses.status, isPaid: courses.isPaid }).from(courses).where(eq(courses.id, courseId)).limit(1);
  if (!course || course.status !== 'published') throw notFound('published course with this id');
  if (course.isPaid && !(await isEntitled(db, userId, courseId))) throw new AppError('payment_required', 'This course is paid: buy it (or ask an admin for access) to enroll.', { courseId });
  await db.insert(enrollments).values({ userId, courseId }).onConflictDoNothing();
}

/** Leaving a course keeps the progress, so coming back resumes where the learner was. */
export async function unenroll(db: NeonDatabase, userId: string, courseId: string): Promise<void> {
  await db.delete(enrollments).where(and(eq(enrollments.userId, userId), eq(enrollments.courseId, courseId)));
}

/** Enrolled, and for a paid course still entitled to it (a refund ends access; the enrollment and progress stay). */
export async function mayStudy(db: Pick<NeonDatabase, 'select'>, userId: string, courseId: string): Promise<boolean> {
  const [row] = await db
    .select({ isPaid: courses.isPaid })
    .from(enrollments)
    .innerJoin(courses, eq(courses.id, enrollments.courseId))
    .where(and(eq(enrollments.userId, userId), eq(enrollments.courseId, courseId)))
    .limit(1);
  return row !== undefined && (!row.isPaid || (await isEntitled(db, userId, courseId)));
}

/** The learner's enrollment in a course with per-lesson resume positions, or null when not enrolled. */
export async function enrollmentIn(db: NeonDatabase, userId: string, course: Pick<CourseDetail, 'id' | 'lessons'>): Promise<EnrollmentView | null> {
  const [enrollment] = await db
    .select()
    .from(enrollments)
    .where(and(eq(enrollments.userId, userId), eq(enrollments.courseId, course.id)))
    .limit(1);
  if (!enrollment) return null;
  const rows = await db.select().from(lessonProgress).where(and(eq(lessonProgress.userId, userId), eq(lessonProgress.courseId, course.id)));
  const byLesson = Object.fromEntries(
    rows.map((row) => [row.lessonId, { positionSeconds: row.positionSeconds, durationSeconds: row.durationSeconds, completed: row.completedAt !== null }]),
  );
  const completedLessons = course.lessons.filter((lesson) => byLesson[lesson.id]?.completed).length;
  return {
    enrolledAt: enrollment.createdAt.toISOString(),
    progressPercent: course.lessons.length === 0 ? 0 : Math.round((completedLessons / course.lessons.length) * 100),
    completedLessons,
    nextLessonId: course.lessons.find((lesson) => !byLesson[lesson.id]?.completed)?.id ?? null,
    lessons: byLesson,
  };
}

/**
 * Saves the watch position (the player reports every few seconds and on pause). Completion is
 * sticky: seeking back in a finished lesson does not undo it.
 */
export async function reportProgress(
  db: NeonDatabase,
  userId: string,
  lessonId: string,
  report: { positionSeconds: number; durationSeconds: number },
): Promise<LessonProgressView & { courseProgressPercent: number }> {
  const [lesson] = await db.select({ courseId: lessons.courseId }).from(lessons).where(eq(lessons.id, lessonId)).limit(1);
  if (!lesson) throw notFound('such lesson');
  if (!(await mayStudy(db, userId, lesson.courseId))) throw new AppError('not_enrolled', 'Enroll in the course (a paid one: buy it) to save progress.');
  const positionSeconds = Math.min(report.positionSeconds, report.durationSeconds);
  const completes = positionSeconds >= report.durationSeconds * COMPLETION_RATIO;
  const now = new Date();
  // One transaction: a save answered with an error (the database going away mid-way) is not half kept.
  const { saved, totals } = await db.transaction(async (tx) => {
    const [saved] = await tx
      .insert(lessonProgress)
      .values({ userId, lessonId, courseId: lesson.courseId, positionSeconds, durationSeconds: report.durationSeconds, completedAt: completes ? now : null, updatedAt: now })
      .onConflictDoUpdate({
        target: [lessonProgress.userId, lessonProgress.lessonId],
        set: {
          positionSeconds,
          durationSeconds: report.durationSeconds,
          completedAt: sql`coalesce(${lessonProgress.completedAt}, ${completes ? now : null}::timestamptz)`,
          updatedAt: now,
        },
      })
      .returning();
    await tx.update(enrollments).set({ lastActivityAt: now }).where(and(eq(enrollments.userId, userId), eq(enrollments.courseId, lesson.courseId)));
    const [totals] = await tx
      .select({
        total: sql<number>`count(*)::int`,
        done: sql<number>`count(${lessonProgress.completedAt})::int`,
      })
      .from(lessons)
      .leftJoin(lessonProgress, and(eq(lessonProgress.lessonId, lessons.id), eq(lessonProgress.userId, userId)))
      .where(eq(lessons.courseId, lesson.courseId));
    return { saved, totals };
  });
  return {
    positionSeconds: saved?.positionSeconds ?? positionSeconds,
    durationSeconds: report.durationSeconds,
    completed: saved?.completedAt != null,
    courseProgressPercent: totals && totals.total > 0 ? Math.round((totals.done / totals.total) * 100) : 0,
  };
}

/** The ids of every course the learner is enrolled in, most recently active first. */
export async function enrolledCourseIds(db: NeonDatabase, userId: string): Promise<string[]> {
  const rows = await db.select({ courseId: enrollments.courseId }).from(enrollments).where(eq(enrollments.userId, userId)).orderBy(desc(enrollments.lastActivityAt));
  return rows.map((row) => row.courseId);
}

/** The learner's courses, most recently active first, each with the next lesson to watch. */
export async function continueLearning(db: NeonDatabase, userId: string): Promise<ContinueLearning[]> {
  const enrolled = await db
    .select({ courseId: courses.id, slug: courses.slug, title: courses.title, coverImageUrl: courses.coverImageUrl, lastActivityAt: enrollments.lastActivityAt })
    .from(enrollments)
    .innerJoin(courses, eq(courses.id, enrollments.courseId))
    .where(and(eq(enrollments.userId, userId), eq(courses.status, 'published')))
    .orderBy(desc(enrollments.lastActivityAt))
    .limit(50);
  if (enrolled.length === 0) return [];
  const courseIds = enrolled.map((row) => row.courseId);
  const rows = await db
    .select({ id: lessons.id, courseId: lessons.courseId, title: lessons.title, positionSeconds: lessonProgress.positionSeconds, completedAt: lessonProgress.completedAt })
    .from(lessons)
    .leftJoin(lessonProgress, and(eq(lessonProgress.lessonId, lessons.id), eq(lessonProgress.userId, userId)))
    .where(inArray(lessons.courseId, courseIds))
    .orderBy(asc(lessons.courseId), asc(lessons.position));
  return enrolled.map((course) => {
    const courseLessons = rows.filter((row) => row.courseId === course.courseId);
    const done = courseLessons.filter((row) => row.completedAt !== null).length;
    const next = courseLessons.find((row) => row.completedAt === null);
    return {
      ...course,
      lastActivityAt: course.lastActivityAt.toISOString(),
      progressPercent: courseLessons.length === 0 ? 0 : Math.round((done / courseLessons.length) * 100),
      nextLesson: next ? { id: next.id, title: next.title, positionSeconds: next.positionSeconds ?? 0 } : null,
    };
  });
}
