import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyticsEvent, command, courseOwnedBy, postEvents, query, waitUntilStored } from './analytics.backing.ts';
import { call, signedInAs, type SignedIn } from './client.ts';

const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
const TABLET = 'Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X) AppleWebKit/605.1.15';

/** ClickHouse's DateTime64 as it answers in JSON. */
const asStored = (iso: string) => iso.replace('T', ' ').replace('Z', '');

describe('ingest: SPA → api → queue → analytics → ClickHouse', () => {
  let learner: SignedIn;
  const courseId = crypto.randomUUID();
  const videoId = crypto.randomUUID();
  const batch = [
    analyticsEvent({ type: 'course_view', course_id: courseId }),
    analyticsEvent({
      type: 'video_play',
      course_id: courseId,
      lesson_id: crypto.randomUUID(),
      video_id: videoId,
      position_s: 12.5,
      duration_s: 300,
      playback_rate: 1.5,
      rendition: '720p',
      props: { quality: 'auto', muted: false, volume: 0.8 },
    }),
  ];
  const beacon = [analyticsEvent({ type: 'page_view' }), analyticsEvent({ type: 'search', props: { q: 'لغة عربية' } })];
  const videoView = { event_id: crypto.randomUUID(), ts: new Date().toISOString(), course_id: courseId, video_id: videoId, position_s: 0, duration_s: 300 };
  // Enough to need several queue messages (128 KB each) and two sendBatch calls (256 KB each).
  const large = Array.from({ length: 450 }, () => analyticsEvent({ type: 'video_progress', video_id: videoId, position_s: 10, duration_s: 300, props: { note: 'x'.repeat(256) } }));
  const answers: Record<string, Awaited<ReturnType<typeof postEvents>>> = {};

  beforeAll(async () => {
    learner = await signedInAs('learner');
    const [sent, beaconed, viewed, big] = await Promise.all([
      postEvents(batch, { token: learner.accessToken, headers: { 'cf-ipcountry': 'SA', 'user-agent': PHONE } }),
      // navigator.sendBeacon posts a string as text/plain and cannot add an Authorization header.
      call('/api/analytics/events', { body: JSON.stringify({ events: beacon }), headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': DESKTOP } }),
      call('/api/analytics/video-view', { json: videoView, token: learner.accessToken }),
      postEvents(large),
    ]);
    Object.assign(answers, { sent, beaconed, viewed, big });
  });

  it('answers 202 with the counts, and stores each event enriched: user, jurisdiction, country, device, receive time, trace', async () => {
    expect(answers.sent?.status).toBe(202);
    expect(answers.sent?.body).toEqual({ accepted: 2, rejected: [] });
    await waitUntilStored(batch.map((event) => event.event_id));
    const rows = await query<Record<string, unknown>>(
      `SELECT event_id, type, ts, received_at, user_id, course_id, lesson_id, video_id, position_s, duration_s, playback_rate,
         rendition, props, jurisdiction, country, device, trace_id
       FROM events WHERE event_id IN {ids:Array(UUID)} ORDER BY type`,
      { ids: batch.map((event) => event.event_id) },
    );
    expect(rows).toHaveLength(2);
    const [view, play] = rows;
    const common = { user_id: learner.user.id, jurisdiction: 'us', country: 'SA', device: 'mobile', trace_id: answers.sent?.headers.get('x-trace-id') };
    expect(view).toMatchObject({ ...common, type: 'course_view', course_id: courseId, video_id: '00000000-0000-0000-0000-000000000000', position_s: null, rendition: '', props: {} });
    expect(play).toMatchObject({
      ...common,
      event_id: batch[1]!.event_id,
      type: 'video_play',
      ts: asStored(String(batch[1]!.ts)),
      video_id: videoId,
      lesson_id: batch[1]!.lesson_id,
      position_s: 12.5,
      duration_s: 300,
      playback_rate: 1.5,
      rendition: '720p',
      props: { quality: 'auto', muted: 'false', volume: '0.8' },
    });
    const receivedAgo = Date.now() - Date.parse(`${String(play?.received_at).replace(' ', 'T')}Z`);
    expect(receivedAgo).toBeGreaterThanOrEqual(0);
    expect(receivedAgo).toBeLessThan(60_000);
  });

  it('takes navigator.sendBeacon bodies (text/plain, no token) as anonymous events', async () => {
    expect(answers.beaconed?.status).toBe(202);
    expect(answers.beaconed?.body).toEqual({ accepted: 2, rejected: [] });
    await waitUntilStored(beacon.map((event) => event.event_id));
    const rows = await query<{ user_id: string | null; device: string; q: string }>(
      "SELECT user_id, device, props['q'] AS q FROM events WHERE event_id IN {ids:Array(UUID)} ORDER BY type",
      { ids: beacon.map((event) => event.event_id) },
    );
    expect(rows).toEqual([
      { user_id: null, device: 'desktop', q: '' },
      { user_id: null, device: 'desktop', q: 'لغة عربية' },
    ]);
  });

  it('keeps POST /api/analytics/video-view as a one-event shortcut, a play unless it says otherwise', async () => {
    expect(answers.viewed?.status).toBe(202);
    expect(answers.viewed?.body).toEqual({ accepted: 1, rejected: [] });
    await waitUntilStored([videoView.event_id]);
    const [row] = await query<{ type: string; user_id: string }>('SELECT type, user_id FROM events WHERE event_id = {id:UUID}', { id: videoView.event_id });
    expect(row).toEqual({ type: 'video_play', user_id: learner.user.id });
  });

  it('splits a large request across queue messages within the 128 KB / 256 KB limits and loses nothing', async () => {
    expect(answers.big?.status).toBe(202);
    expect(answers.big?.body).toEqual({ accepted: large.length, rejected: [] });
    const count = await waitUntilStored(large.map((event) => event.event_id));
    expect(count).toEqual({ rows: large.length, distinct: large.length });
  });
});

/**
 * A small fixed data set over two days long enough ago that no other test writes there, each number
 * computed by hand. Course A (videos 1 and 2) belongs to the instructor, course B (video 3) to another.
 */
describe('dashboards', () => {
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const D1 = day(3);
  const D2 = day(2);
  const at = (date: string, second: number) => new Date(Date.parse(`${date}T12:00:00.000Z`) + second * 1000).toISOString();
  const V1 = crypto.randomUUID();
  const V2 = crypto.randomUUID();
  const V3 = crypto.randomUUID();
  const DURATION = { [V1]: 100, [V2]: 200, [V3]: 100 };
  let A: string;
  let B: string;
  let admin: SignedIn;
  let instructor: SignedIn;

  /** A player event; a heartbeat names the captions on screen, as the player sends it. */
  const video = (type: string, date: string, second: number, course: string, videoId: string, position = 0, captions?: string) =>
    analyticsEvent({ type, ts: at(date, second), course_id: course, video_id: videoId, position_s: position, duration_s: DURATION[videoId], ...(captions ? { props: { captions } } : {}) });
  const get = (path: string, token: string) => call<Record<string, unknown>>(`/api/analytics${path}`, { token });

  beforeAll(async () => {
    const [l1, l2, l3, owner, other, boss] = [
      await signedInAs('learner'),
      await signedInAs('learner'),
      await signedInAs('learner'),
      await signedInAs('instructor'),
      await signedInAs('instructor'),
      await signedInAs('admin'),
    ];
    instructor = owner;
    admin = boss;
    A = await courseOwnedBy(owner.user.id);
    B = await courseOwnedBy(other.user.id);
    const sent = [
      // Learner 1, United States, desktop: enrols in A, watches video 1 to the end over two days (English captions on the first), starts video 3 of B.
      {
        token: l1.accessToken,
        country: 'US',
        device: DESKTOP,
        events: [
          analyticsEvent({ type: 'enroll', ts: at(D1, 0), course_id: A }),
          video('video_play', D1, 1, A, V1),
          video('video_progress', D1, 11, A, V1, 10, 'en'),
          video('video_progress', D1, 21, A, V1, 20, 'en'),
          video('video_progress', D1, 31, A, V1, 30, 'en'),
          video('video_progress', D2, 0, A, V1, 60),
          video('video_progress', D2, 20, A, V1, 80),
          video('video_complete', D2, 40, A, V1, 100),
          video('video_play', D2, 100, B, V3),
          video('video_progress', D2, 150, B, V3, 50),
        ],
      },
      // Learner 2, Saudi Arabia, phone: enrols in A, stops video 1 at 40 %, watches half of video 2 with Arabic captions.
      {
        token: l2.accessToken,
        country: 'SA',
        device: PHONE,
        events: [
          analyticsEvent({ type: 'enroll', ts: at(D1, 0), course_id: A }),
          video('video_play', D1, 1, A, V1),
          video('video_progress', D1, 26, A, V1, 25),
          video('video_pause', D1, 41, A, V1, 40),
          video('video_play', D2, 0, A, V2),
          video('video_progress', D2, 50, A, V2, 50, 'ar'),
          video('video_progress', D2, 100, A, V2, 100, 'ar'),
        ],
      },
      // Learner 3, United Kingdom, tablet: looks around (no course) one day, presses play on video 1 the next.
      {
        token: l3.accessToken,
        country: 'GB',
        device: TABLET,
        events: [analyticsEvent({ type: 'page_view', ts: at(D1, 0) }), video('video_play', D2, 0, A, V1)],
      },
      // Somebody not signed in: not a learner, but the play counts.
      { token: undefined, country: 'US', device: DESKTOP, events: [analyticsEvent({ type: 'course_view', ts: at(D1, 0), course_id: A }), video('video_play', D1, 5, A, V1)] },
    ];
    for (const { token, country, device, events } of sent) {
      const answer = await postEvents(events, { token, headers: { 'cf-ipcountry': country, 'user-agent': device } });
      if (answer.status !== 202 || answer.body.accepted !== events.length) throw new Error(`the data set was not accepted: ${JSON.stringify(answer.body)}`);
    }
    await waitUntilStored(sent.flatMap(({ events }) => events.map((event) => event.event_id)));
  });

  const courseA = () => ({
    activeLearners: 3,
    dailyActiveLearners: [
      { day: D1, learners: 2 },
      { day: D2, learners: 3 },
    ],
    enrollments: 2,
    plays: 5,
    watchTimeSeconds: 80,
    averageWatchTimeSeconds: 16,
    completionRate: 0.25,
  });

  it('summarises a course: learners (daily and in all), enrollments, plays, watch time, completion', async () => {
    const answer = await get(`/summary?from=${D1}&to=${D2}&courseId=${A}`, admin.accessToken);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toEqual({ from: D1, to: D2, courseId: A, summary: courseA() });
  });

  it('summarises the whole jurisdiction for an admin', async () => {
    const { body } = await get(`/summary?from=${D1}&to=${D2}`, admin.accessToken);
    expect(body.summary).toEqual({
      activeLearners: 3,
      dailyActiveLearners: [
        { day: D1, learners: 3 },
        { day: D2, learners: 3 },
      ],
      enrollments: 2,
      plays: 6,
      watchTimeSeconds: 90,
      averageWatchTimeSeconds: 15,
      completionRate: 0.2,
    });
  });

  it('ranks the top courses and videos', async () => {
    const { body } = await get(`/top?from=${D1}&to=${D2}`, admin.accessToken);
    expect(body.top).toEqual({
      courses: [
        { courseId: A, plays: 5, watchTimeSeconds: 80, enrollments: 2 },
        { courseId: B, plays: 1, watchTimeSeconds: 10, enrollments: 0 },
      ],
      videos: [
        { videoId: V1, courseId: A, plays: 4, watchTimeSeconds: 60, completions: 1 },
        { videoId: V2, courseId: A, plays: 1, watchTimeSeconds: 20, completions: 0 },
        { videoId: V3, courseId: B, plays: 1, watchTimeSeconds: 10, completions: 0 },
      ],
    });
  });

  it('follows viewings through the completion funnel', async () => {
    const { body } = await get(`/funnel?from=${D1}&to=${D2}&courseId=${A}`, admin.accessToken);
    expect(body.funnel).toEqual([
      { stage: 'play', viewings: 4, share: 1 },
      { stage: '25%', viewings: 3, share: 0.75 },
      { stage: '50%', viewings: 2, share: 0.5 },
      { stage: '75%', viewings: 1, share: 0.25 },
      { stage: 'complete', viewings: 1, share: 0.25 },
    ]);
  });

  it('draws the drop-off curve of a video', async () => {
    const { body } = await get(`/videos/${V1}/drop-off?from=${D1}&to=${D2}`, admin.accessToken);
    const { dropOff } = body as { dropOff: { videoId: string; viewers: number; curve: Array<{ percent: number; stillWatching: number; share: number }> } };
    expect(dropOff.videoId).toBe(V1);
    expect(dropOff.viewers).toBe(3);
    expect(dropOff.curve).toHaveLength(21);
    for (const point of dropOff.curve) {
      const expected = point.percent === 0 ? 3 : point.percent <= 40 ? 2 : 1;
      expect(point, `at ${point.percent} %`).toEqual({ percent: point.percent, stillWatching: expected, share: expected / 3 });
    }
  });

  it('breaks a course down by country and by device', async () => {
    const { body } = await get(`/breakdown?from=${D1}&to=${D2}&courseId=${A}`, admin.accessToken);
    expect(body.breakdown).toEqual({
      countries: [
        { country: 'US', learners: 1, events: 10, plays: 2, watchTimeSeconds: 50 },
        { country: 'SA', learners: 1, events: 7, plays: 2, watchTimeSeconds: 30 },
        { country: 'GB', learners: 1, events: 1, plays: 1, watchTimeSeconds: 0 },
      ],
      devices: [
        { device: 'desktop', learners: 1, events: 10, plays: 2, watchTimeSeconds: 50 },
        { device: 'mobile', learners: 1, events: 7, plays: 2, watchTimeSeconds: 30 },
        { device: 'tablet', learners: 1, events: 1, plays: 1, watchTimeSeconds: 0 },
      ],
    });
  });

  it("shows an instructor their own courses' numbers, all in one dashboard", async () => {
    const answer = await get(`/dashboard?from=${D1}&to=${D2}`, instructor.accessToken);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const { summary, top, funnel, breakdown, captions } = answer.body as Record<string, Record<string, unknown>>;
    expect(summary).toEqual(courseA());
    // Of course A's 8 heartbeats (80 s): 3 without captions, 3 with English, 2 with Arabic.
    expect(captions).toEqual([
      { language: '', watchTimeSeconds: 30, share: 3 / 8 },
      { language: 'en', watchTimeSeconds: 30, share: 3 / 8 },
      { language: 'ar', watchTimeSeconds: 20, share: 2 / 8 },
    ]);
    expect(top?.courses).toEqual([{ courseId: A, plays: 5, watchTimeSeconds: 80, enrollments: 2 }]);
    expect((funnel as unknown as Array<{ viewings: number }>).map((stage) => stage.viewings)).toEqual([4, 3, 2, 1, 1]);
    expect((breakdown?.countries as Array<{ country: string }>).map((row) => row.country)).toEqual(['US', 'SA', 'GB']);
  });

  it('fills days without activity with zero and defaults to the last 30 days', async () => {
    const { body } = await get(`/summary?from=${day(5)}&to=${D2}&courseId=${A}`, admin.accessToken);
    const daily = (body.summary as { dailyActiveLearners: Array<{ day: string; learners: number }> }).dailyActiveLearners;
    expect(daily.map((d) => d.learners)).toEqual([0, 0, 2, 3]);
    const recent = await get(`/summary?courseId=${A}`, admin.accessToken);
    expect(recent.body).toMatchObject({ from: day(29), to: day(0) });
    expect((recent.body.summary as { plays: number }).plays).toBe(5);
  });

  it('caches a report for 60 s in Redis', async () => {
    const path = `/top?from=${D1}&to=${D1}&courseId=${A}`;
    const first = await get(path, admin.accessToken);
    const second = await get(path, admin.accessToken);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.body).toEqual(first.body);
  });

  it("tags each ClickHouse query with the dashboard request's trace", async () => {
    const traceId = crypto.randomUUID().replaceAll('-', '');
    const spanId = '3'.repeat(16);
    const traceparent = `00-${traceId}-${spanId}-01`;
    const answer = await call(`/api/analytics/funnel?from=${D2}&to=${D2}&courseId=${A}`, { token: admin.accessToken, headers: { traceparent } });
    expect(answer.status).toBe(200);
    const queries = await queriesOfTrace(traceId);
    expect(queries.length).toBeGreaterThan(0);
    for (const entry of queries) {
      expect(entry.query_id).toMatch(new RegExp(`^${traceId}-[0-9a-f]{16}-[a-z-]+$`));
      expect(entry.log_comment).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    }
  });
});

/**
 * The queries ClickHouse ran for a trace, from `system.query_log`; the embedded engine keeps none,
 * so there the harness answers with what its HTTP endpoint received (`query_id`, `log_comment`).
 */
async function queriesOfTrace(traceId: string): Promise<Array<{ query_id: string; log_comment: string }>> {
  const received = await fetch(`${env.CONTROL_URL}/clickhouse/received-queries?query_id_prefix=${traceId}`);
  if (received.status !== 501) {
    expect(received.status).toBe(200);
    const queries = await received.json<Array<{ queryId: string; logComment: string }>>();
    return queries.map((entry) => ({ query_id: entry.queryId, log_comment: entry.logComment }));
  }
  await command('SYSTEM FLUSH LOGS');
  return query<{ query_id: string; log_comment: string }>(
    "SELECT query_id, log_comment FROM system.query_log WHERE type = 'QueryFinish' AND startsWith(query_id, {traceId:String})",
    { traceId },
  );
}
