import { describe, expect, it } from 'vitest';
import { coursesForLearner, relatedCourses } from '../../workers/api/catalog/recommendations.ts';
import type { CourseCard } from '../../workers/api/catalog/schemas.ts';

const card = (id: string, language: 'en' | 'ar' = 'en'): CourseCard => ({
  id,
  slug: `course-${id}`,
  title: `Course ${id}`,
  summary: '',
  language,
  level: 'beginner',
  tags: [],
  coverImageUrl: null,
  instructorName: 'Instructor',
  publishedAt: null,
  isPaid: false,
  lessonCount: 1,
  prices: [],
});
const published = (...cards: CourseCard[]) => new Map(cards.map((course) => [course.id, course]));

describe('for you', () => {
  it('puts the neighbours first with their reason, then popular courses not named yet, the learner’s language before the others', () => {
    const found = {
      similar: [
        { courseId: 'n1', score: 0.9, becauseOf: 'took' },
        { courseId: 'n2', score: 0.5, becauseOf: 'took' },
      ],
      popular: [
        { courseId: 'n1', learners: 40 },
        { courseId: 'p1', learners: 30 },
        { courseId: 'p2', learners: 20 },
      ],
    };
    const cards = published(card('took'), card('n1'), card('n2', 'ar'), card('p1'), card('p2', 'ar'));
    const ranked = coursesForLearner(found, cards, 'ar');
    expect(ranked.map((course) => [course.id, course.reason])).toEqual([
      ['n2', { kind: 'because_of', becauseOf: { courseId: 'took', title: 'Course took' } }],
      ['p2', { kind: 'popular', learners: 20 }],
      ['n1', { kind: 'because_of', becauseOf: { courseId: 'took', title: 'Course took' } }],
      ['p1', { kind: 'popular', learners: 30 }],
    ]);
  });

  it('leaves out what is not published here: a candidate, or a neighbour whose reason is gone', () => {
    const found = { similar: [{ courseId: 'n1', score: 1, becauseOf: 'gone' }, { courseId: 'draft', score: 1, becauseOf: 'took' }], popular: [{ courseId: 'n1', learners: 3 }] };
    expect(coursesForLearner(found, published(card('took'), card('n1')), 'en').map((course) => [course.id, course.reason.kind])).toEqual([['n1', 'popular']]);
  });
});

describe('learners who took this also took', () => {
  it('keeps the order and the learners in common, published neighbours only', () => {
    const neighbours = [
      { courseId: 'a', score: 0.7, coLearners: 5 },
      { courseId: 'draft', score: 0.6, coLearners: 4 },
      { courseId: 'b', score: 0.5, coLearners: 2 },
    ];
    expect(relatedCourses(neighbours, published(card('a'), card('b'))).map(({ id, score, reason }) => ({ id, score, reason }))).toEqual([
      { id: 'a', score: 0.7, reason: { kind: 'co_learners', coLearners: 5 } },
      { id: 'b', score: 0.5, reason: { kind: 'co_learners', coLearners: 2 } },
    ]);
  });
});
