import type { ClickHouseClient } from '@clickhouse/client-web';
import type { LearnerRecommendations, LearnerRecommendationsQuery, Neighbour, RefreshedRecommendations, RelatedQuery } from '../lib/contracts.ts';
import { clickhouseTime } from './events.ts';

/**
 * "Learners who took this also took", from `daily_learner_courses` (migration 0004), which holds only
 * this jurisdiction's events. Each learner weighs a course they took 1, or 2 once they completed a
 * video of it; two courses are as similar as the cosine of their learners' weights,
 * Σ wA·wB / √(Σ wA² · Σ wB²) (plain |A∩B| / √(|A|·|B|) when nobody completed anything). A pair needs
 * MIN_CO_LEARNERS learners in common: one shared learner is chance, not a pattern.
 */
export const MIN_CO_LEARNERS = 2;
/** Enough for a course page and for summing over a learner's recent courses. */
const NEIGHBOURS_PER_COURSE = 50;
/** How many of the learner's most recent courses (by their events) seed "for you". */
const RECENT_COURSES = 10;
/** "Popular" is what learners took over this many days. */
const POPULAR_DAYS = 90;

const LATEST = 'generation = (SELECT max(generation) FROM recommendation_refreshes)';

const REFRESH = `
INSERT INTO course_neighbours (generation, course_id, neighbour_id, score, co_learners)
WITH
  taken AS (SELECT user_id, course_id, 1 + max(completed) AS weight FROM daily_learner_courses GROUP BY user_id, course_id),
  norms AS (SELECT course_id, sqrt(sum(weight * weight)) AS norm FROM taken GROUP BY course_id),
  pairs AS (
    SELECT a.course_id AS course_id, b.course_id AS neighbour_id, sum(a.weight * b.weight) AS dot, count() AS co_learners
    FROM taken AS a INNER JOIN taken AS b ON a.user_id = b.user_id
    WHERE a.course_id != b.course_id
    GROUP BY course_id, neighbour_id
    HAVING co_learners >= {minCoLearners:UInt32}
  )
SELECT {generation:DateTime64(3, 'UTC')}, pairs.course_id, pairs.neighbour_id, pairs.dot / (na.norm * nb.norm) AS score, pairs.co_learners
FROM pairs
INNER JOIN norms AS na ON na.course_id = pairs.course_id
INNER JOIN norms AS nb ON nb.course_id = pairs.neighbour_id
ORDER BY pairs.course_id, score DESC, pairs.neighbour_id
LIMIT {perCourse:UInt32} BY pairs.course_id`;

const RELATED = `
SELECT toString(neighbour_id) AS courseId, score, co_learners AS coLearners
FROM course_neighbours
WHERE course_id = {course:UUID} AND ${LATEST}
ORDER BY score DESC, neighbour_id
LIMIT {limit:UInt32}`;

/** Summed over the seeds, so a course near several of the learner's courses comes first. */
const SIMILAR = `
WITH
  taken AS (SELECT course_id, max(last_at) AS last_at FROM daily_learner_courses WHERE user_id = {user:UUID} GROUP BY course_id),
  seeds AS (
    SELECT course_id FROM (SELECT course_id FROM taken ORDER BY last_at DESC LIMIT {recentCount:UInt32})
    UNION DISTINCT
    SELECT arrayJoin({recent:Array(UUID)}) AS course_id
  )
SELECT toString(neighbour_id) AS courseId, sum(similarity) AS score, toString(argMax(course_id, similarity)) AS becauseOf
FROM (SELECT course_id, neighbour_id, score AS similarity FROM course_neighbours WHERE ${LATEST} AND course_id IN (SELECT course_id FROM seeds))
WHERE neighbour_id NOT IN (SELECT course_id FROM taken) AND NOT has({recent:Array(UUID)}, neighbour_id)
GROUP BY neighbour_id
ORDER BY score DESC, neighbour_id
LIMIT {limit:UInt32}`;

/** Leaves out what the learner took, like SIMILAR: the api's filter then only has enrollments made since the cache. */
const POPULAR = `
SELECT toString(course_id) AS courseId, uniqExact(user_id) AS learners
FROM daily_learner_courses
WHERE day >= today() - {days:UInt32}
  AND course_id NOT IN (SELECT course_id FROM daily_learner_courses WHERE user_id = {user:UUID})
  AND NOT has({recent:Array(UUID)}, course_id)
GROUP BY course_id
ORDER BY learners DESC, course_id
LIMIT {limit:UInt32}`;

export function recommendations(clickhouse: ClickHouseClient, traceparent: string) {
  const [, traceId, spanId] = traceparent.split('-');
  const settings = { log_comment: traceparent, output_format_json_quote_64bit_integers: 0 } as const;
  const select = async <Row>(name: string, query: string, params: Record<string, unknown>): Promise<Row[]> => {
    const result = await clickhouse.query({ query, format: 'JSONEachRow', query_params: params, query_id: `${traceId}-${spanId}-${name}`, clickhouse_settings: settings });
    return result.json<Row>();
  };

  return {
    /**
     * Writes every course's neighbours under a new generation, then records it (from then on it is
     * what readers see), then drops the older generations in the background.
     */
    async refresh(): Promise<RefreshedRecommendations> {
      const started = Date.now();
      const generation = clickhouseTime(new Date(started).toISOString());
      await clickhouse.command({
        query: REFRESH,
        query_params: { generation, minCoLearners: MIN_CO_LEARNERS, perCourse: NEIGHBOURS_PER_COURSE },
        query_id: `${traceId}-${spanId}-refresh`,
        clickhouse_settings: settings,
      });
      const [written] = await select<{ pairs: number }>('refresh-count', 'SELECT count() AS pairs FROM course_neighbours WHERE generation = {generation:DateTime64(3, \'UTC\')}', { generation });
      const refreshed = { generation, pairs: written?.pairs ?? 0, elapsedMs: Date.now() - started };
      await clickhouse.insert({ table: 'recommendation_refreshes', values: [{ generation, pairs: refreshed.pairs, elapsed_ms: refreshed.elapsedMs }], format: 'JSONEachRow' });
      await clickhouse.command({ query: "ALTER TABLE course_neighbours DELETE WHERE generation < {generation:DateTime64(3, 'UTC')}", query_params: { generation } });
      return refreshed;
    },

    related: ({ courseId, limit }: RelatedQuery) => select<Neighbour>('related', RELATED, { course: courseId, limit }),

    async forLearner({ userId, recent, limit }: LearnerRecommendationsQuery): Promise<LearnerRecommendations> {
      const [similar, popular] = await Promise.all([
        select<LearnerRecommendations['similar'][number]>('similar', SIMILAR, { user: userId, recent, recentCount: RECENT_COURSES, limit }),
        select<LearnerRecommendations['popular'][number]>('popular', POPULAR, { user: userId, recent, days: POPULAR_DAYS, limit }),
      ]);
      return { similar, popular };
    },
  };
}
