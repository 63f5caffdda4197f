import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { CourseDetail, RecommendedCourse } from '../../workers/api/catalog/schemas.ts';
import { recommendations } from '../../workers/analytics/recommendations.ts';
import { openClickHouse } from '../../workers/lib/clickhouse.ts';
import { ClickHouseSettings, readConfig } from '../../workers/lib/config.ts';
import { analyticsEvent, postEvents, waitUntilStored } from './analytics.backing.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, eventually, register, signedInAs, type SignedIn } from './client.ts';

const TRACEPARENT = `00-${'3'.repeat(32)}-${'4'.repeat(16)}-01`;
type Items = { items: RecommendedCourse[] };

/** What a learner took: enrolled, or enrolled and completed a video (which weighs 2 instead of 1). */
type Took = Record<string, 'enrolled' | 'completed'>;

function eventsOf(took: Took): Array<ReturnType<typeof analyticsEvent>> {
  return Object.entries(took).flatMap(([courseId, how]) => [
    analyticsEvent({ type: 'enroll', course_id: courseId }),
    ...(how === 'completed' ? [analyticsEvent({ type: 'video_complete', course_id: courseId, video_id: crypto.randomUUID(), position_s: 60, duration_s: 60 })] : []),
  ]);
}

/** sa's ClickHouse, through the production client; its Workers run beside the `us` ones under test. */
function saClickHouse() {
  return openClickHouse(readConfig(ClickHouseSettings, { ...inject('settings').sa }), TRACEPARENT);
}

/**
 * A fixed interaction set in `us` (weights: 1 enrolled, 2 completed):
 *   L1: A (completed), B        L2: A, B, C        L3: A, C (completed)        L4: B, C
 *   L5: A, D                    L9, L10: D only
 * Norms √Σw²: A = √(2² + 1 + 1 + 1) = √7, B = √(1 + 1 + 1) = √3, C = √(1 + 2² + 1) = √6, D = √3.
 * Pairs (dot = Σ wA·wB over the learners in common, at least 2 of them):
 *   A–B: L1 2·1 + L2 1·1 = 3 → 3/√(7·3) = 3/√21 ≈ 0.654654
 *   A–C: L2 1·1 + L3 1·2 = 3 → 3/√(7·6) = 3/√42 ≈ 0.462910
 *   B–C: L2 1·1 + L4 1·1 = 2 → 2/√(3·6) = 2/√18 ≈ 0.471405
 *   A–D: only L5 in common, below the minimum support of 2: no pair.
 * In `sa`, S1 and S2 both took A and D: A–D = 2/√(2·2) = 1, and nothing else; the `us` events never count there.
 */
describe('recommendations', () => {
  const AB = 3 / Math.sqrt(21);
  const AC = 3 / Math.sqrt(42);
  const BC = 2 / Math.sqrt(18);
  let A: CourseDetail, B: CourseDetail, C: CourseDetail, D: CourseDetail;
  let L4: SignedIn;

  beforeAll(async () => {
    const instructor = await signedInAs('instructor');
    [A, B, C, D] = (
      await Promise.all([publishedCourse(instructor, {}, 1), publishedCourse(instructor, {}, 1), publishedCourse(instructor, {}, 1), publishedCourse(instructor, { language: 'ar' }, 1)])
    ).map(({ course }) => course) as [CourseDetail, CourseDetail, CourseDetail, CourseDetail];
    const interactions: Took[] = [
      { [A.id]: 'completed', [B.id]: 'enrolled' },
      { [A.id]: 'enrolled', [B.id]: 'enrolled', [C.id]: 'enrolled' },
      { [A.id]: 'enrolled', [C.id]: 'completed' },
      { [B.id]: 'enrolled', [C.id]: 'enrolled' },
      { [A.id]: 'enrolled', [D.id]: 'enrolled' },
      { [D.id]: 'enrolled' },
      { [D.id]: 'enrolled' },
    ];
    const learners = await Promise.all(interactions.map(() => signedInAs('learner')));
    L4 = learners[3]!;
    const sent = await Promise.all(
      interactions.map(async (took, n) => {
        const events = eventsOf(took);
        expect((await postEvents(events, { token: learners[n]!.accessToken })).status).toBe(202);
        return events.map((event) => event.event_id);
      }),
    );
    await waitUntilStored(sent.flat());
    await env.ANALYTICS.refreshRecommendations({ v: 1, traceparent: TRACEPARENT });
  });

  const related = async (course: CourseDetail, jurisdiction: 'us' | 'sa' = 'us') => {
    const answer = await call<Items>(`/api/courses/${course.id}/related`, { jurisdiction });
    expect(answer.status).toBe(200);
    return answer.body.items.map((item) => ({ id: item.id, score: item.score, reason: item.reason }));
  };

  it('learners who took this also took: the hand-computed neighbours, most similar first, with the learners in common', async () => {
    const coLearners = (n: number) => ({ kind: 'co_learners', coLearners: n });
    const near = (score: number) => expect.closeTo(score, 6) as unknown as number;
    expect(await related(A)).toEqual([
      { id: B.id, score: near(AB), reason: coLearners(2) },
      { id: C.id, score: near(AC), reason: coLearners(2) },
    ]);
    expect(await related(B)).toEqual([
      { id: A.id, score: near(AB), reason: coLearners(2) },
      { id: C.id, score: near(BC), reason: coLearners(2) },
    ]);
    expect(await related(C)).toEqual([
      { id: B.id, score: near(BC), reason: coLearners(2) },
      { id: A.id, score: near(AC), reason: coLearners(2) },
    ]);
    expect(await related(D)).toEqual([]);
    const again = await call<Items>(`/api/courses/${A.id}/related`);
    expect(again.headers.get('x-cache')).toBe('hit');
  });

  it('for you: the neighbours of the learner’s courses, summed, with the reason; never a course they took or enrolled in since', async () => {
    // L4 took B and C: A is near both, 3/√21 + 3/√42 ≈ 1.117564, mostly because of B (3/√21 > 3/√42).
    const first = await call<Items>('/api/me/recommendations', { token: L4.accessToken });
    expect(first.status).toBe(200);
    expect(first.body.items[0]).toMatchObject({ id: A.id, score: expect.closeTo(AB + AC, 6), reason: { kind: 'because_of', becauseOf: { courseId: B.id, title: B.title } } });
    const ids = first.body.items.map((item) => item.id);
    expect(ids).not.toContain(B.id);
    expect(ids).not.toContain(C.id);
    expect(first.body.items.slice(1).every((item) => item.reason.kind === 'popular')).toBe(true);

    expect((await call(`/api/courses/${A.id}/enrollment`, { method: 'POST', token: L4.accessToken })).status).toBe(201);
    const after = await call<Items>('/api/me/recommendations', { token: L4.accessToken });
    expect(after.headers.get('x-cache')).toBe('hit');
    expect(after.body.items.map((item) => item.id)).not.toContain(A.id);
  });

  it('a new learner gets popular courses, those in their language first', async () => {
    const arabic = (await register({ preferredLanguage: 'ar' })).body;
    const { body } = await call<Items>('/api/me/recommendations', { token: arabic.accessToken });
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.every((item) => item.reason.kind === 'popular')).toBe(true);
    const languages = body.items.map((item) => item.language);
    expect(languages).toEqual([...languages.filter((l) => l === 'ar'), ...languages.filter((l) => l !== 'ar')]);
    // D: L5, L9 and L10 took it.
    expect(body.items.find((item) => item.id === D.id)?.reason).toEqual({ kind: 'popular', learners: 3 });

    const english = (await register({ preferredLanguage: 'en' })).body;
    const popular = (await call<Items>('/api/me/recommendations', { token: english.accessToken })).body.items;
    const ours = popular.filter((item) => [A.id, B.id, C.id].includes(item.id));
    // A: L1, L2, L3, L5; B: L1, L2, L4; C: L2, L3, L4.
    expect(ours.map((item) => item.reason)).toEqual([
      { kind: 'popular', learners: 4 },
      { kind: 'popular', learners: 3 },
      { kind: 'popular', learners: 3 },
    ]);
    expect(ours[0]?.id).toBe(A.id);
  });

  it('reads only its own jurisdiction: sa’s neighbours come from sa’s events, none from us’s', async () => {
    for (const course of [A, D]) await eventually(async () => (await call(`/api/courses/${course.id}`, { jurisdiction: 'sa' })).status === 200, 20_000, 'the course reaching sa');
    const saLearners = await Promise.all([signedInAs('learner', 'sa'), signedInAs('learner', 'sa')]);
    for (const learner of saLearners) {
      expect((await postEvents(eventsOf({ [A.id]: 'enrolled', [D.id]: 'enrolled' }), { jurisdiction: 'sa', token: learner.accessToken })).status).toBe(202);
    }
    const clickhouse = saClickHouse();
    try {
      await eventually(async () => {
        const result = await clickhouse.query({
          query: 'SELECT uniqExact(user_id) AS learners FROM daily_learner_courses WHERE course_id = {course:UUID}',
          query_params: { course: D.id },
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        });
        const [row] = await result.json<{ learners: number }>();
        return row?.learners === 2;
      }, 20_000, 'sa storing its events');
      await recommendations(clickhouse, TRACEPARENT).refresh();
    } finally {
      await clickhouse.close();
    }
    // 2 learners took both A and D in sa: 2/√(2·2) = 1. B and C, A's neighbours in us, are not there.
    expect(await related(A, 'sa')).toEqual([{ id: D.id, score: expect.closeTo(1, 9), reason: { kind: 'co_learners', coLearners: 2 } }]);
    expect(await related(A)).not.toContainEqual(expect.objectContaining({ id: D.id }));
  });
});
