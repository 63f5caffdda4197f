import { availableParallelism } from 'node:os';
import { neonConfig, Pool } from '@neondatabase/serverless';
import { Redis } from '@upstash/redis';
import { neonSettingsFor } from '../scripts/services/postgres.ts';
import { recommendations } from '../workers/analytics/recommendations.ts';
import { coursesForLearner, SHOWN } from '../workers/api/catalog/recommendations.ts';
import type { CourseCard } from '../workers/api/catalog/schemas.ts';
import { benchClickHouse, expectCache, measure, measureHelloWorld, oneSample, printTable, recordResults, startDeployment, summarize, type Measurement } from './harness.ts';

/**
 * `npm run bench:recommend`: BENCH_LEARNERS learners (50,000) over BENCH_COURSES published courses
 * (2,000) in BENCH_GROUPS planted interest groups (50). Each learner belongs to a group and takes
 * 3 to 8 courses, most from their group (a power law inside it), the others from the whole catalog;
 * half of the courses they take they also complete. Their enroll and completion events go straight
 * into ClickHouse's `events` (its views fill `daily_learner_courses`), all but each learner's last
 * course: that one is held out. Then: the refresh's time; for BENCH_EVAL learners (2,000), whether
 * the held-out course is in "for you"'s first 10 (the api's own ranking) and in the 10 most popular
 * courses they did not take (the baseline), from the same run. Aim: at least 2× the baseline.
 * Last, `GET /api/me/recommendations` (cache misses, one at a time, and hits) beside hello world.
 */
const LEARNERS = Number(process.env.BENCH_LEARNERS ?? 50_000);
const COURSES = Number(process.env.BENCH_COURSES ?? 2_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 50);
const EVAL = Math.min(LEARNERS, Number(process.env.BENCH_EVAL ?? 2_000));
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
/** Learners signed up through the api, so their recommendations can be asked over HTTP. */
const API_LEARNERS = 20;
const IN_GROUP = 0.8;
const AIM = 2;
const TRACEPARENT = `00-${'7'.repeat(32)}-${'8'.repeat(16)}-01`;
const NIL = '00000000-0000-0000-0000-000000000000';
const DAY_MS = 86_400_000;

/** A seeded generator (mulberry32): the same population every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Learner {
  userId: string;
  /** Course indexes in the order taken; the last is held out. */
  took: number[];
}

/** random()³ leans to 0: a few courses of a group (and of the catalog) are taken far more than the rest. */
function population(userIds: readonly string[]): Learner[] {
  const next = random(18);
  const perGroup = Math.floor(COURSES / GROUPS);
  return userIds.map((userId) => {
    const group = Math.floor(next() * GROUPS);
    const count = 3 + Math.floor(next() * 6);
    const took = new Set<number>();
    while (took.size < count) {
      took.add(next() < IN_GROUP ? group * perGroup + Math.floor(next() ** 3 * perGroup) : Math.floor(next() ** 3 * COURSES));
    }
    return { userId, took: [...took] };
  });
}

const deployment = await startDeployment({ jurisdiction: 'us', vars: { RATE_LIMIT_REGISTER: '100000/60s', RATE_LIMIT_LOCATE: '100000/60s' } });
const { settings } = deployment;
const clickhouse = benchClickHouse(settings);
try {
  console.log(`\n${LEARNERS.toLocaleString('en')} learners, ${COURSES.toLocaleString('en')} courses, ${GROUPS} interest groups; wrangler dev (us), ClickHouse ${process.env.CLICKHOUSE_URL ? 'server' : 'chdb (embedded)'}, ${availableParallelism()} cores\n`);
  Object.assign(neonConfig, neonSettingsFor(settings.NEON_WS_PROXY ?? ''));
  const pool = new Pool({ connectionString: settings.DATABASE_URL });
  await pool.query(`
    insert into courses (origin_jurisdiction, instructor_name, slug, title, language, status, published_at)
    select 'us', 'Bench Instructor', 'recommend-bench-' || g, 'Recommend bench ' || g, 'en', 'published', now() from generate_series(1, ${COURSES}) g`);
  const courseIds = (await pool.query<{ id: string }>("select id from courses where slug like 'recommend-bench-%' order by split_part(slug, '-', 3)::int")).rows.map((row) => row.id);
  await pool.end();

  const tokens: string[] = [];
  const apiUsers: string[] = [];
  for (let n = 0; n < API_LEARNERS; n++) {
    const response = await fetch(`${deployment.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `recommend-${n}-${Date.now()}@bench.test`, password: 'bench-password-1', displayName: 'Bench Learner', preferredLanguage: 'en', jurisdiction: 'us' }),
    });
    const body = (await response.json()) as { accessToken: string; user: { id: string } };
    if (response.status !== 201) throw new Error(`registration answered ${response.status}: ${JSON.stringify(body)}`);
    tokens.push(body.accessToken);
    apiUsers.push(body.user.id);
  }
  const learners = population([...apiUsers, ...Array.from({ length: LEARNERS - API_LEARNERS }, () => crypto.randomUUID())]);

  const insertStarted = Date.now();
  const next = random(7);
  const now = Date.now();
  let rows: Record<string, unknown>[] = [];
  let events = 0;
  const flush = async () => {
    await clickhouse.insert({ table: 'events', values: rows, format: 'JSONEachRow' });
    events += rows.length;
    rows = [];
  };
  for (const learner of learners) {
    // Over the last 60 days, in the order taken: the held-out course (last) is never inserted.
    learner.took.slice(0, -1).forEach((course, order) => {
      const ts = new Date(now - (60 - order) * DAY_MS + Math.floor(next() * DAY_MS / 2)).toISOString().replace('T', ' ').replace('Z', '');
      const event = (type: string) => ({ event_id: crypto.randomUUID(), type, ts, received_at: ts, user_id: learner.userId, course_id: courseIds[course], lesson_id: NIL, video_id: NIL, jurisdiction: 'us', country: 'US', device: 'desktop' });
      rows.push(event('enroll'));
      if (next() < 0.5) rows.push(event('video_complete'));
    });
    if (rows.length >= 100_000) await flush();
  }
  await flush();
  console.log(`inserted ${events.toLocaleString('en')} events in ${((Date.now() - insertStarted) / 1000).toFixed(1)} s`);

  const recs = recommendations(clickhouse, TRACEPARENT);
  const refreshed = await recs.refresh();
  console.log(`refresh: ${refreshed.pairs.toLocaleString('en')} course pairs in ${refreshed.elapsedMs} ms`);

  // The api's ranking over cards of the bench's courses (all published, all in English).
  const cards = new Map<string, CourseCard>(
    courseIds.map((id) => [id, { id, slug: id, title: id, summary: '', language: 'en', level: 'beginner', tags: [], coverImageUrl: null, instructorName: '', publishedAt: null, isPaid: false, lessonCount: 0, prices: [] }]),
  );
  let hits = 0;
  let baselineHits = 0;
  const evaluated = learners.slice(0, EVAL);
  for (const learner of evaluated) {
    const heldOut = courseIds[learner.took.at(-1)!];
    const found = await recs.forLearner({ v: 1, traceparent: TRACEPARENT, userId: learner.userId, recent: [], limit: 100 });
    if (coursesForLearner(found, cards, 'en').slice(0, SHOWN).some((course) => course.id === heldOut)) hits++;
    if (found.popular.slice(0, SHOWN).some((course) => course.courseId === heldOut)) baselineHits++;
  }
  const hitRate = hits / evaluated.length;
  const baseline = baselineHits / evaluated.length;
  console.log(`hit rate at ${SHOWN} over ${EVAL.toLocaleString('en')} learners: for you ${(hitRate * 100).toFixed(1)} %, popular ${(baseline * 100).toFixed(1)} % (${(hitRate / baseline).toFixed(1)}×; aim ≥ ${AIM}×)`);

  const redis = new Redis({ url: settings.REDIS_REST_URL!, token: settings.REDIS_REST_TOKEN! });
  const ask = (n: number) => fetch(`${deployment.url}/api/me/recommendations`, { headers: { authorization: `Bearer ${tokens[n % tokens.length]}` } });
  const misses: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const begun = performance.now();
  for (let n = 0; n < SAMPLES; n++) {
    await redis.incr('catalog:generation');
    const sent = performance.now();
    const response = await ask(n);
    const body = (await response.json()) as { items?: unknown[] };
    const took = performance.now() - sent;
    const wrong = response.status !== 200 ? `${response.status} ${JSON.stringify(body).slice(0, 300)}` : response.headers.get('x-cache') !== 'miss' ? 'expected a cache miss' : !body.items?.length ? 'no recommendation' : undefined;
    if (wrong === undefined) misses.push(took);
    else {
      errors++;
      firstError ??= wrong;
    }
  }
  let turn = 0;
  const table: Measurement[] = [
    await measureHelloWorld(deployment.url, { concurrency: 1, durationMs: 5_000 }),
    summarize('GET /api/me/recommendations (miss, one at a time)', misses, { seconds: (performance.now() - begun) / 1000, errors, firstError }),
    // The measurement's warm-up asks for every learner once: each recorded sample must then be a hit.
    await measure('GET /api/me/recommendations (hit)', { concurrency: 1, durationMs: 5_000 }, () => ask(turn++).then(expectCache('hit'))),
    oneSample('refresh (all course neighbours)', refreshed.elapsedMs),
  ];
  printTable(table);
  const [hello, miss, hit, refresh] = table as [Measurement, Measurement, Measurement, Measurement];
  const quality = `refresh; "for you" hits ${(hitRate * 100).toFixed(1)} % at ${SHOWN}, popular ${(baseline * 100).toFixed(1)} %`;
  await recordResults('recommend', [
    { budget: `≥ ${AIM}× popularity (aim)`, measured: { ...refresh, name: quality }, rate: { unit: '× popularity', measured: hitRate / baseline } },
    { budget: '—', measured: miss, baseline: hello },
    { budget: '—', measured: hit, baseline: hello },
  ]);
  for (const row of table.filter((row) => row.errors > 0)) console.error(`${row.name}: ${row.errors} errors, first: ${row.firstError}`);
  if (table.some((row) => row.requests === 0 || row.errors > 0) || hitRate < AIM * baseline) process.exitCode = 1;
} finally {
  await clickhouse.close();
  await deployment.stop();
}
