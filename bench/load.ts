import autocannon, { type Request as CannonRequest } from 'autocannon';
import { printCells } from './harness.ts';

/**
 * The mixed load of learners, an instructor and an admin on one deployment: one autocannon
 * instance per route at a fixed arrival rate (open loop: a slow answer does not slow the offer), so
 * each route has its own latencies, achieved rate and statuses. Writes that are accepted are
 * recorded for the account `bench/proof.ts` makes afterwards.
 */

export interface Learner {
  id: string;
  token: string;
  /** The last position (s) a save of it was accepted at; a save in flight holds the learner. */
  saved: number;
  /** The last position sent: a save whose answer was lost (an error, the run's end) may still have been stored. */
  sent: number;
  saving: boolean;
}

export interface LoadTargets {
  url: string;
  courseId: string;
  courseSlug: string;
  lessonId: string;
  learners: Learner[];
  adminToken: string;
  /** Published files of the demo video, under their signed playback URLs. */
  segmentUrls: string[];
}

/** What the platform said yes to: the account checks each of them is stored, once. */
export interface Accepted {
  /** Event id → when it was accepted (ms since the epoch), to place a missing one in the run. */
  events: Map<string, number>;
  /** Learner id → the position of its last accepted save. */
  progress: Map<string, number>;
  /** Saves sent while every learner had one in flight (not counted; the account says how many). */
  overlaps: number;
}

interface RouteLoad {
  name: string;
  rate: number;
  requests: CannonRequest[];
  headers?: Record<string, string>;
}

export interface RouteResult {
  name: string;
  offered: number;
  achieved: number;
  p50: number;
  p95: number;
  p99: number;
  /** Answers by status class: 2xx, 503 (a dependency said no, clearly), other errors. */
  ok: number;
  unavailable: number;
  errors: number;
  /** Each other status (or `timeout`) and how many. */
  others: Map<string, number>;
}

const EVENTS_PER_BATCH = 5;

export function routes(targets: LoadTargets, accepted: Accepted, scale: number): RouteLoad[] {
  // What each connection has in flight (autocannon sends one request at a time per connection).
  const pendingSaves = new WeakMap<object, { learner: Learner; position: number }>();
  const sentEvents = new WeakMap<object, string[]>();
  const learnerAt = (index: number) => targets.learners[index % targets.learners.length]!;
  let turn = 0;
  let segment = 0;
  const json = { 'content-type': 'application/json' };
  return [
    { name: 'browse GET /api/courses', rate: 8 * scale, requests: [{ method: 'GET', path: '/api/courses' }] },
    { name: 'search GET /api/courses?q=', rate: 4 * scale, requests: [{ method: 'GET', path: '/api/courses?q=edge&sort=relevance' }] },
    {
      name: 'open GET /api/courses/:slug',
      rate: 4 * scale,
      requests: [{ method: 'GET', path: `/api/courses/${targets.courseSlug}`, setupRequest: (request) => ({ ...request, headers: { authorization: `Bearer ${learnerAt(turn++).token}` } }) }],
    },
    {
      name: 'playback GET /api/courses/:id/video',
      rate: 2 * scale,
      requests: [
        {
          method: 'GET',
          path: `/api/courses/${targets.courseId}/video?lessonId=${targets.lessonId}`,
          setupRequest: (request) => ({ ...request, headers: { authorization: `Bearer ${learnerAt(turn++).token}` } }),
        },
      ],
    },
    {
      name: 'segments GET /media/…',
      rate: 8 * scale,
      requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: new URL(targets.segmentUrls[segment++ % targets.segmentUrls.length]!).pathname }) }],
    },
    {
      // Every learner every 10 s, one save at a time each: the last accepted one must be what is stored.
      name: 'progress PUT /api/lessons/:id/progress',
      rate: (targets.learners.length / 10) * scale,
      requests: [
        {
          method: 'PUT',
          path: `/api/lessons/${targets.lessonId}/progress`,
          setupRequest: (request, context) => {
            // The next learner in turn without a save in flight.
            const idle = Array.from(targets.learners, () => learnerAt(turn++)).find((candidate) => !candidate.saving);
            // Every learner waiting on a save (a long stall): the same position again, not counted.
            if (!idle) accepted.overlaps++;
            const learner = idle ?? learnerAt(turn++);
            learner.saving = true;
            const position = idle ? learner.saved + 10 : learner.saved;
            learner.sent = Math.max(learner.sent, position);
            if (idle) pendingSaves.set(context, { learner, position });
            else pendingSaves.delete(context);
            return { ...request, headers: { ...json, authorization: `Bearer ${learner.token}` }, body: JSON.stringify({ positionSeconds: position, durationSeconds: 86_400 }) };
          },
          onResponse: (status, _body, context) => {
            const pending = pendingSaves.get(context);
            if (!pending) return;
            const { learner, position } = pending;
            learner.saving = false;
            if (status === 200) {
              learner.saved = position;
              accepted.progress.set(learner.id, position);
            }
          },
        },
      ],
    },
    {
      name: 'track POST /api/analytics/events',
      rate: 4 * scale,
      requests: [
        {
          method: 'POST',
          path: '/api/analytics/events',
          setupRequest: (request, context) => {
            const learner = learnerAt(turn++);
            const events = Array.from({ length: EVENTS_PER_BATCH }, () => ({
              event_id: crypto.randomUUID(),
              type: 'video_progress',
              ts: new Date().toISOString(),
              course_id: targets.courseId,
              lesson_id: targets.lessonId,
              position_s: 10,
              duration_s: 600,
            }));
            sentEvents.set(context, events.map((event) => event.event_id));
            return { ...request, headers: { ...json, authorization: `Bearer ${learner.token}` }, body: JSON.stringify({ events }) };
          },
          onResponse: (status, body, context) => {
            if (status !== 202) return;
            const rejected = new Set((JSON.parse(body) as { rejected: { index: number }[] }).rejected.map((rejection) => rejection.index));
            sentEvents.get(context)?.forEach((id, index) => rejected.has(index) || accepted.events.set(id, Date.now()));
          },
        },
      ],
    },
    { name: 'reports GET /api/analytics/dashboard', rate: 1 * scale, headers: { authorization: `Bearer ${targets.adminToken}` }, requests: [{ method: 'GET', path: '/api/analytics/dashboard' }] },
  ];
}

/** Runs every route's load at once for `seconds`; each route's answers are classified and timed. */
export async function runLoad(url: string, loads: RouteLoad[], seconds: number): Promise<RouteResult[]> {
  return Promise.all(
    loads.map(async (load) => {
      // autocannon offers whole requests per second, at least one.
      const rate = Math.max(1, Math.round(load.rate));
      const latencies: number[] = [];
      const counts = { ok: 0, unavailable: 0, errors: 0 };
      const others = new Map<string, number>();
      const options: autocannon.Options = {
        url,
        duration: seconds,
        // Enough connections that the offered rate is kept while answers are slow (open loop).
        connections: Math.max(2, rate),
        overallRate: rate,
        timeout: 30,
        headers: load.headers,
        requests: load.requests,
      };
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(options, (error, done) => (error ? reject(error as Error) : resolve(done)));
        instance.on('response', (_client, status, _bytes, ms) => {
          latencies.push(ms);
          if (status < 400) counts.ok++;
          else if (status === 503) counts.unavailable++;
          else {
            counts.errors++;
            others.set(String(status), (others.get(String(status)) ?? 0) + 1);
          }
        });
      });
      latencies.sort((a, b) => a - b);
      const percentile = (p: number) => latencies[Math.ceil((p / 100) * latencies.length) - 1] ?? Number.NaN;
      return {
        name: load.name,
        offered: rate,
        achieved: latencies.length / seconds,
        p50: percentile(50),
        p95: percentile(95),
        p99: percentile(99),
        ...counts,
        errors: counts.errors + result.errors + result.timeouts,
        others: result.timeouts + result.errors > 0 ? others.set('no answer', result.errors + result.timeouts) : others,
      };
    }),
  );
}

export function printRoutes(results: RouteResult[]): void {
  const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(1));
  printCells([
    ['route', 'offered/s', 'achieved/s', 'p50 ms', 'p95 ms', 'p99 ms', '2xx', '503', 'errors'],
    ...results.map((r) => [r.name, r.offered.toFixed(1), r.achieved.toFixed(1), ms(r.p50), ms(r.p95), ms(r.p99), String(r.ok), String(r.unavailable), String(r.errors)]),
  ]);
  for (const r of results) if (r.others.size > 0) console.log(`${r.name}: errors by status ${[...r.others].map(([status, n]) => `${status} ×${n}`).join(', ')}`);
}
