import type { LearnerRecommendations, Neighbour } from '../../lib/contracts.ts';
import { AppError } from '../../lib/errors.ts';
import type { CourseCard, RecommendedCourse } from './schemas.ts';

/** A row of recommendations on a page. */
export const SHOWN = 10;
/** What is kept per learner: more than a row, so the courses they enroll in later can be dropped from it without asking again. */
export const KEPT_PER_LEARNER = 3 * SHOWN;

/** The analytics Worker's answer, or `analytics_unavailable`: recommendations are read from ClickHouse only. */
export function fromAnalytics<T>(answer: Promise<T>): Promise<T> {
  return answer.catch((error: unknown) => {
    throw new AppError('analytics_unavailable', 'Recommendations cannot be read right now. Try again shortly.', { cause: String(error) });
  });
}

/** "Learners who took this also took": the neighbours that are published here, best first. */
export function relatedCourses(neighbours: readonly Neighbour[], cards: ReadonlyMap<string, CourseCard>): RecommendedCourse[] {
  return neighbours
    .flatMap(({ courseId, score, coLearners }) => {
      const card = cards.get(courseId);
      return card ? [{ ...card, score, reason: { kind: 'co_learners' as const, coLearners } }] : [];
    })
    .slice(0, SHOWN);
}

/**
 * "For you": the neighbours of the learner's courses, then popular courses to fill the row (all of
 * it for a new learner); courses in the learner's language before the others, each group in its
 * order. Only published courses, each once; a neighbour whose reason is no longer published is left out.
 */
export function coursesForLearner(found: LearnerRecommendations, cards: ReadonlyMap<string, CourseCard>, language: string): RecommendedCourse[] {
  const similar = found.similar.flatMap(({ courseId, score, becauseOf }) => {
    const card = cards.get(courseId);
    const reason = cards.get(becauseOf);
    return card && reason ? [{ ...card, score, reason: { kind: 'because_of' as const, becauseOf: { courseId: reason.id, title: reason.title } } }] : [];
  });
  const named = new Set(similar.map((course) => course.id));
  const popular = found.popular.flatMap(({ courseId, learners }) => {
    const card = cards.get(courseId);
    return card && !named.has(courseId) ? [{ ...card, score: 0, reason: { kind: 'popular' as const, learners } }] : [];
  });
  const ranked = [...similar, ...popular];
  return [...ranked.filter((course) => course.language === language), ...ranked.filter((course) => course.language !== language)].slice(0, KEPT_PER_LEARNER);
}

/** Every course the answer names: the candidates and the courses they are recommended because of. */
export function coursesNamed(found: LearnerRecommendations): string[] {
  return [...found.similar.flatMap((course) => [course.courseId, course.becauseOf]), ...found.popular.map((course) => course.courseId)];
}
