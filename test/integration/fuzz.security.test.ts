import { env, exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { signMediaToken } from '../../workers/api/videos/media-tokens.ts';
import { AnalyticsEvent } from '../../workers/lib/contracts.ts';
import { backing } from './backing.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, signedInAs } from './client.ts';
import { servedRoutes, type Route } from './routes.ts';
import { arbitraryFor, HOSTILE_SEGMENTS, type IdsFor } from './schema-arbitraries.ts';

/**
 * Every route, fed inputs derived from its own zod schemas with hostile values mixed in (encoded
 * traversal, NUL, invalid UTF-8, lone surrogates, prototype keys, huge and negative numbers): never
 * a 5xx, every refusal in the error envelope, and a refused request writes nothing. Seeded, so a
 * failure replays; bounded in runs and time per route.
 */
const SEED = 20_261_202;
const RUNS_PER_ROUTE = 60;
const MS_PER_ROUTE = 15_000;

/** What a request could have written in this jurisdiction's own rows (replicas and notifications arrive on their own). */
const STATE = sql`select concat_ws('|',
  (select count(*) from users), (select max(updated_at) from users),
  (select count(*) from sessions), (select count(revoked_at) from sessions),
  (select count(*) from refresh_tokens), (select count(rotated_at) from refresh_tokens),
  (select count(*) from courses where origin_jurisdiction = 'us'), (select sum(version) from courses where origin_jurisdiction = 'us'),
  (select count(*) from lessons l join courses c on c.id = l.course_id where c.origin_jurisdiction = 'us'),
  (select max(l.updated_at) from lessons l join courses c on c.id = l.course_id where c.origin_jurisdiction = 'us'),
  (select count(*) from enrollments), (select max(last_activity_at) from enrollments),
  (select count(*) from lesson_progress), (select max(updated_at) from lesson_progress),
  (select count(*) from videos where uploader_id is not null)) as state`;

const RAW_BODIES = [new Uint8Array([0xff, 0xfe, 0x00, 0xc0, 0xaf]), '{"unterminated', '[]', 'null', '', '{"__proto__":{"admin":true}}'];

/** encodeURIComponent, except that a lone surrogate (which has no UTF-8) becomes an invalid UTF-8 sequence. */
function encodeSegment(value: unknown): string {
  try {
    return encodeURIComponent(String(value));
  } catch {
    return '%ED%A0%80';
  }
}

function queryString(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `?${encodeSegment(value)}`;
  const pairs = Object.entries(value).flatMap(([key, v]) => (Array.isArray(v) ? v : [v]).map((item) => `${encodeSegment(key)}=${encodeSegment(item)}`));
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

function pathFor(route: Route, ids: IdsFor): fc.Arbitrary<string> {
  const params = route.schemas.param as { shape?: Record<string, never> } | undefined;
  const unchecked = (name: string) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ids(name), 'x') }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });
  const segment = (name: string) =>
    fc.oneof(
      { weight: 4, arbitrary: (params?.shape?.[name] ? arbitraryFor(params.shape[name], ids, name) : unchecked(name)).map(encodeSegment) },
      { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS) },
    );
  const parts = route.path.split('/').map((part) => {
    if (part === '*') return fc.array(segment('*'), { minLength: 1, maxLength: 4 }).map((tail) => tail.join('/'));
    return part.startsWith(':') ? segment(part.slice(1)) : fc.constant(part);
  });
  return fc.tuple(...parts).map((built) => built.join('/'));
}

/** Bodies the routes parse themselves (any content type, for sendBeacon), events checked one by one. */
const SELF_PARSED: Record<string, z.ZodType> = {
  'POST /api/analytics/events': z.object({ events: z.array(AnalyticsEvent).max(5) }),
  'POST /api/analytics/video-view': AnalyticsEvent,
};

function bodyFor(route: Route, ids: IdsFor): fc.Arbitrary<string | Uint8Array | undefined> {
  if (route.method === 'GET') return fc.constant(undefined);
  const schema = route.schemas.json ?? SELF_PARSED[route.key];
  const json = schema ? arbitraryFor(schema, ids) : fc.jsonValue();
  return fc.oneof({ weight: 6, arbitrary: json.map((value) => JSON.stringify(value) ?? 'null') }, { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) });
}

interface Pools {
  course: string[];
  lesson: string[];
  video: string[];
  user: string[];
  /** A media token that is valid for the pool's video and `job`: the fuzzer reaches the file-name checks. */
  mediaToken: string[];
  job: string[];
}

/** Real ids by parameter or field name; `:id` means what the route's resource is. */
function idsFor(route: Route, pools: Pools): IdsFor {
  const byResource = { '/api/videos': pools.video, '/api/users': pools.user, '/api/courses': pools.course };
  return (name) => {
    if (name === 'courseId' || name === 'idOrSlug') return pools.course;
    if (name === 'lessonId' || name === 'lessonIds') return pools.lesson;
    if (name === 'videoId') return pools.video;
    if (name === 'jobId') return pools.job;
    if (name === 'token') return pools.mediaToken;
    if (name === '*') return ['master.m3u8', '720p', 'init.mp4', 'poster.jpg'];
    if (name === 'id') return Object.entries(byResource).find(([prefix]) => route.path.startsWith(prefix))?.[1] ?? [];
    return [];
  };
}

describe('schema fuzzing: no route answers 5xx, every refusal is an envelope and writes nothing', () => {
  const routes = servedRoutes();
  const tokens: Record<string, string | undefined> = { anonymous: undefined };
  let pools: Pools;
  const database = backing('us').database();
  const state = async () => String((await database.db.execute(STATE)).rows[0]?.state);

  beforeAll(async () => {
    const [admin, instructor, learner] = await Promise.all([signedInAs('admin'), signedInAs('instructor'), signedInAs('learner')]);
    tokens.admin = admin.accessToken;
    tokens.instructor = instructor.accessToken;
    const { course, lessons } = await publishedCourse(instructor);
    const upload = await call<{ videoId: string }>('/api/videos/upload', {
      token: instructor.accessToken,
      json: { courseId: course.id, lessonId: lessons[0]?.id, filename: 'fuzz.mp4', sizeBytes: 6 * 1024 ** 2, contentType: 'video/mp4', multipart: true },
    });
    expect(upload.status).toBe(201);
    // The admin's own id stays out: a fuzzed role change would end the session the fuzzer uses.
    const job = crypto.randomUUID();
    const mediaToken = await signMediaToken(env.JWT_SECRET, upload.body.videoId, job, Math.floor(Date.now() / 1000) + 3_600);
    pools = {
      course: [course.id],
      lesson: lessons.map((lesson) => lesson.id),
      video: [upload.body.videoId],
      user: [instructor.user.id, learner.user.id],
      mediaToken: [mediaToken],
      job: [job],
    };
  }, 60_000);

  afterAll(() => database.close());

  it('finds every route of the app', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((route) => Object.keys(route.schemas).length > 0).length).toBeGreaterThan(25);
  });

  it.each(routes.map((route) => [route.key, route] as const))('%s', async (_key, route) => {
    const ids = idsFor(route, pools);
    const request = fc.record({
      caller: fc.constantFrom('admin', 'instructor', 'anonymous'),
      path: pathFor(route, ids),
      query: route.schemas.query ? arbitraryFor(route.schemas.query, ids).map(queryString) : fc.constantFrom('', '?%ff=%00', '?limit=1e309&limit=-1'),
      body: bodyFor(route, ids),
    });
    let before = await state();
    await fc.assert(
      fc.asyncProperty(request, async ({ caller, path, query, body }) => {
        const headers = new Headers({ 'content-type': 'application/json', 'cf-connecting-ip': `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` });
        const token = tokens[caller];
        if (token) headers.set('authorization', `Bearer ${token}`);
        const response = await exports.default.fetch(`https://us.api.test${path}${query}`, { method: route.method, headers, body });
        const text = await response.text();
        const what = `${route.method} ${path}${query} as ${caller} → ${response.status} ${text.slice(0, 300)}`;
        expect(response.status, what).toBeLessThan(500);
        const after = await state();
        if (response.status >= 400) {
          expect(JSON.parse(text), what).toMatchObject({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String), traceId: expect.stringMatching(/^[0-9a-f]{32}$/) } });
          expect(after, `${what}: a refused request changed the database`).toBe(before);
        }
        before = after;
      }),
      { seed: SEED, numRuns: RUNS_PER_ROUTE, interruptAfterTimeLimit: MS_PER_ROUTE, markInterruptAsFailure: false, endOnFailure: true },
    );
  }, MS_PER_ROUTE + 30_000);
});
