import { availableParallelism } from 'node:os';
import { neonConfig, Pool } from '@neondatabase/serverless';
import { neonSettingsFor } from '../scripts/services/postgres.ts';
import { expectCache, measure, measureHelloWorld, printTable, recordResults, startDeployment } from './harness.ts';

/**
 * `npm run bench:catalog`: `GET /api/courses` served from the Redis cache and from PostgreSQL, over
 * a catalog of 10,000 published courses, beside the same Worker's hello-world route in the same run.
 */
const COURSES = 10_000;
const BUDGET_MS = 200; // the original design's budget for browsing
const load = {
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
  durationMs: Number(process.env.BENCH_SECONDS ?? 10) * 1000,
};

const deployment = await startDeployment({ jurisdiction: 'us' });
try {
  Object.assign(neonConfig, neonSettingsFor(deployment.settings.NEON_WS_PROXY ?? ''));
  const pool = new Pool({ connectionString: deployment.settings.DATABASE_URL });
  const started = Date.now();
  await pool.query(`
    insert into courses (origin_jurisdiction, instructor_name, slug, title, summary, language, level, tags, status, published_at)
    select 'us', 'Bench Instructor', 'bench-course-' || g,
      'Course ' || g || ' on ' || (array['typescript', 'cloud', 'design', 'data', 'security'])[1 + g % 5],
      'Everything about topic ' || g, case when g % 10 = 0 then 'ar' else 'en' end::language,
      (array['beginner', 'intermediate', 'advanced'])[1 + g % 3]::course_level,
      array[(array['web', 'data', 'ops', 'ml'])[1 + g % 4]], 'published', now() - make_interval(mins => g)
    from generate_series(1, ${COURSES}) g`);
  await pool.query(`insert into lessons (course_id, origin_jurisdiction, position, title) select id, origin_jurisdiction, p, 'Lesson ' || p from courses, generate_series(0, 2) p`);
  await pool.query('analyze');
  const courses = await pool.query<{ published_at: string; id: string }>('select published_at::text, id from courses order by random()');
  await pool.end();
  console.log(`seeded ${COURSES} courses and ${COURSES * 3} lessons in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // A miss needs a key nobody asked for: every request pages from another course, same query shape,
  // each cursor used once (a reused one would be a hit for 5 minutes).
  const cursors = courses.rows.map((row) =>
    Buffer.from(JSON.stringify([new Date(row.published_at).toISOString(), row.id])).toString('base64url'),
  );
  let next = 0;
  const list = `${deployment.url}/api/courses?limit=20`;
  const warm = await fetch(list);
  if (!warm.ok) throw new Error(`GET /api/courses failed: ${warm.status} ${await warm.text()}`);

  console.log(`\n${load.concurrency} concurrent clients, ${load.durationMs / 1000} s each, wrangler dev (us), PostgreSQL ${process.env.DATABASE_URL ? 'server' : 'PGlite'}, ${availableParallelism()} cores\n`);
  const rows = [
    await measureHelloWorld(deployment.url, load),
    await measure('GET /api/courses (cache hit)', load, () => fetch(list).then(expectCache('hit'))),
    await measure('GET /api/courses (cache miss)', load, () => {
      const cursor = cursors[next++];
      if (!cursor) throw new Error(`all ${cursors.length} cursors used: lower BENCH_SECONDS or BENCH_CONCURRENCY`);
      return fetch(`${list}&cursor=${cursor}`).then(expectCache('miss'));
    }),
  ];
  printTable(rows);
  const [hello, hit, miss] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  await recordResults('browse', [hit, miss].map((measured) => ({ budget: `< ${BUDGET_MS} ms`, measured, baseline: hello })));
  console.log(
    `\ncache hit p50 ${(hit.p50 / hello.p50).toFixed(2)}x the hello-world route (aim ≤ 1.5x); ` +
      `p95 hit ${hit.p95.toFixed(1)} ms, miss ${miss.p95.toFixed(1)} ms against the ${BUDGET_MS} ms budget\n`,
  );
  for (const row of rows.filter((row) => row.errors > 0)) console.error(`${row.name}: ${row.errors} samples were not what the row claims, first: ${row.firstError}`);
  if (rows.some((row) => row.requests === 0 || row.errors > 0)) process.exitCode = 1;
} finally {
  await deployment.stop();
}
