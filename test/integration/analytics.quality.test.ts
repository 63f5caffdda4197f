import { beforeAll, describe, expect, it } from 'vitest';
import { analyticsEvent, courseOwnedBy, postEvents, query, waitUntilStored } from './analytics.backing.ts';
import { call, eventually, signedInAs, type SignedIn } from './client.ts';

const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
const HD = 2_000_000;
const SD = 500_000;

/**
 * Playback quality on a small fixed event set, every number computed by hand below. One course,
 * two days no other test writes to, three learners:
 * - learner 1 (US, desktop), day 1: plays video 1 at 720p (first frame after 400 ms), 3 heartbeats at
 *   720p, a 2 s stall at 720p, a switch to 360p, 1 heartbeat at 360p, pauses at 45 %;
 * - learner 2 (SA, phone), day 1: plays video 1 at 720p (800 ms), 2 heartbeats at 720p, completes it;
 *   day 2: plays video 2 at 360p (1,200 ms), a recovered error, a 1 s stall, 1 heartbeat at 50 %, a fatal error;
 * - learner 3 (SA, phone), day 2: plays video 1 at 720p (2,000 ms), 2 heartbeats at 720p and 1 naming
 *   no rendition nor bitrate, completes it; plays video 2 with no rendition and fails at once (fatal).
 */
describe('playback quality', () => {
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const D1 = day(5);
  const D2 = day(4);
  const V1 = crypto.randomUUID();
  const V2 = crypto.randomUUID();
  let course: string;
  let admin: SignedIn;
  let instructor: SignedIn;

  beforeAll(async () => {
    const [l1, l2, l3] = [await signedInAs('learner'), await signedInAs('learner'), await signedInAs('learner')];
    [admin, instructor] = [await signedInAs('admin'), await signedInAs('instructor')];
    course = await courseOwnedBy(instructor.user.id);
    let second = 0;
    const event = (date: string, type: string, video: string, rendition: string | null, extra: Record<string, unknown> = {}) =>
      analyticsEvent({
        type,
        ts: new Date(Date.parse(`${date}T12:00:00.000Z`) + ++second * 1000).toISOString(),
        course_id: course,
        video_id: video,
        duration_s: 100,
        ...(rendition ? { rendition } : {}),
        ...extra,
      });
    const beat = (date: string, video: string, rendition: string | null, position: number, bitrate?: number) =>
      event(date, 'video_progress', video, rendition, { position_s: position, ...(bitrate ? { props: { bitrate } } : {}) });
    const sent = [
      {
        learner: l1,
        country: 'US',
        device: DESKTOP,
        events: [
          event(D1, 'video_play', V1, '720p'),
          event(D1, 'playback_start', V1, '720p', { props: { startup_ms: 400 } }),
          beat(D1, V1, '720p', 10, HD),
          beat(D1, V1, '720p', 20, HD),
          beat(D1, V1, '720p', 30, HD),
          event(D1, 'playback_stall', V1, '720p', { props: { stall_ms: 2000 } }),
          event(D1, 'rendition_switch', V1, '360p', { props: { bitrate: SD, height: 360 } }),
          beat(D1, V1, '360p', 40, SD),
          event(D1, 'video_pause', V1, '360p', { position_s: 45 }),
        ],
      },
      {
        learner: l2,
        country: 'SA',
        device: PHONE,
        events: [
          event(D1, 'video_play', V1, '720p'),
          event(D1, 'playback_start', V1, '720p', { props: { startup_ms: 800 } }),
          beat(D1, V1, '720p', 10, HD),
          beat(D1, V1, '720p', 20, HD),
          event(D1, 'video_complete', V1, '720p', { position_s: 100 }),
          event(D2, 'video_play', V2, '360p'),
          event(D2, 'playback_start', V2, '360p', { props: { startup_ms: 1200 } }),
          event(D2, 'playback_error', V2, '360p', { props: { fatal: false, error_type: 'networkError', error_details: 'fragLoadError' } }),
          event(D2, 'playback_stall', V2, '360p', { props: { stall_ms: 1000 } }),
          beat(D2, V2, '360p', 50, SD),
          event(D2, 'playback_error', V2, '360p', { props: { fatal: true, error_type: 'mediaError', error_details: 'bufferAppendError' } }),
        ],
      },
      {
        learner: l3,
        country: 'SA',
        device: PHONE,
        events: [
          event(D2, 'video_play', V1, '720p'),
          event(D2, 'playback_start', V1, '720p', { props: { startup_ms: 2000 } }),
          beat(D2, V1, '720p', 10, HD),
          beat(D2, V1, '720p', 20, HD),
          beat(D2, V1, null, 30),
          event(D2, 'video_complete', V1, null, { position_s: 100 }),
          event(D2, 'video_play', V2, null),
          event(D2, 'playback_error', V2, null, { props: { fatal: true, error_type: 'networkError', error_details: 'manifestLoadError' } }),
        ],
      },
    ];
    for (const { learner, country, device, events } of sent) {
      const answer = await postEvents(events, { token: learner.accessToken, headers: { 'cf-ipcountry': country, 'user-agent': device } });
      if (answer.status !== 202 || answer.body.accepted !== events.length) throw new Error(`the data set was not accepted: ${JSON.stringify(answer.body)}`);
    }
    await waitUntilStored(sent.flatMap(({ events }) => events.map((e) => e.event_id)));
    // The views commit after `events`; a report read before them would be cached for 60 s.
    await eventually(async () => {
      const [row] = await query<{ plays: number; stalled: number }>(
        `SELECT (SELECT sum(plays) FROM daily_playback_quality WHERE course_id = {course:UUID}) AS plays,
           (SELECT count() FROM daily_stalled_viewings WHERE course_id = {course:UUID}) AS stalled`,
        { course },
      );
      return row?.plays === 5 && row.stalled === 2;
    }, 10_000, 'the quality aggregates');
  });

  /** The metrics of a set of plays; ratios compared to 9 decimals. */
  const metrics = (m: {
    plays: number;
    p50: number | null;
    p95: number | null;
    stalls: number;
    stalled: number;
    watch: number;
    fatal: number;
    recovered: number;
    bitrate: number | null;
  }) => ({
    plays: m.plays,
    startupP50Ms: m.p50,
    startupP95Ms: m.p95,
    stalls: m.stalls,
    stalledSeconds: m.stalled,
    watchTimeSeconds: m.watch,
    rebufferingRatio: m.watch ? expect.closeTo(m.stalled / m.watch, 9) : null,
    fatalErrors: m.fatal,
    recoveredErrors: m.recovered,
    failureRate: m.plays ? expect.closeTo(m.fatal / m.plays, 9) : null,
    averageBitrate: m.bitrate === null ? null : expect.closeTo(m.bitrate, 6),
  });

  // Quantiles interpolate linearly between the sorted values: p at index q × (n − 1).
  const expected = {
    // Plays 5; starts 400, 800, 1,200, 2,000: p50 at index 1.5 = 1,000, p95 at 2.85 = 1,200 + 0.85 × 800 = 1,880.
    // Stalls 2 s + 1 s; 10 heartbeats = 100 s, rebuffering 3 / 100. Fatal 2 of 5 plays, 1 recovered.
    // Bitrate over the 9 heartbeats naming one: (7 × 2,000,000 + 2 × 500,000) / 9.
    total: metrics({ plays: 5, p50: 1000, p95: 1880, stalls: 2, stalled: 3, watch: 100, fatal: 2, recovered: 1, bitrate: 15_000_000 / 9 }),
    days: [
      // Day 1: starts 400, 800 → p50 600, p95 400 + 0.95 × 400 = 780; 6 heartbeats (60 s), 2 s stalled;
      // bitrate (5 × 2,000,000 + 500,000) / 6 = 1,750,000.
      { day: D1, ...metrics({ plays: 2, p50: 600, p95: 780, stalls: 1, stalled: 2, watch: 60, fatal: 0, recovered: 0, bitrate: 1_750_000 }) },
      // Day 2: starts 1,200, 2,000 → p50 1,600, p95 1,200 + 0.95 × 800 = 1,960; 4 heartbeats, 1 s stalled;
      // bitrate (500,000 + 2 × 2,000,000) / 3 = 1,500,000; fatal 2 of 3 plays.
      { day: D2, ...metrics({ plays: 3, p50: 1600, p95: 1960, stalls: 1, stalled: 1, watch: 40, fatal: 2, recovered: 1, bitrate: 1_500_000 }) },
    ],
    // SA: starts 800, 1,200, 2,000 → p50 1,200, p95 at 1.9 = 1,200 + 0.9 × 800 = 1,920; 6 heartbeats;
    // bitrate (4 × 2,000,000 + 500,000) / 5 = 1,700,000. US: learner 1 alone, bitrate (3 × 2,000,000 + 500,000) / 4.
    countries: [
      { country: 'SA', ...metrics({ plays: 4, p50: 1200, p95: 1920, stalls: 1, stalled: 1, watch: 60, fatal: 2, recovered: 1, bitrate: 1_700_000 }) },
      { country: 'US', ...metrics({ plays: 1, p50: 400, p95: 400, stalls: 1, stalled: 2, watch: 40, fatal: 0, recovered: 0, bitrate: 1_625_000 }) },
    ],
    devices: [
      { device: 'desktop', ...metrics({ plays: 1, p50: 400, p95: 400, stalls: 1, stalled: 2, watch: 40, fatal: 0, recovered: 0, bitrate: 1_625_000 }) },
      { device: 'mobile', ...metrics({ plays: 4, p50: 1200, p95: 1920, stalls: 1, stalled: 1, watch: 60, fatal: 2, recovered: 1, bitrate: 1_700_000 }) },
    ],
    renditions: [
      // No rendition: learner 3's failed play of video 2 and heartbeat without a bitrate.
      { rendition: '', ...metrics({ plays: 1, p50: null, p95: null, stalls: 0, stalled: 0, watch: 10, fatal: 1, recovered: 0, bitrate: null }) },
      { rendition: '360p', ...metrics({ plays: 1, p50: 1200, p95: 1200, stalls: 1, stalled: 1, watch: 20, fatal: 1, recovered: 1, bitrate: 500_000 }) },
      // 720p: starts 400, 800, 2,000 → p50 800, p95 800 + 0.9 × 1,200 = 1,880; 7 heartbeats (70 s).
      { rendition: '720p', ...metrics({ plays: 3, p50: 800, p95: 1880, stalls: 1, stalled: 2, watch: 70, fatal: 0, recovered: 0, bitrate: 2_000_000 }) },
    ],
    learning: {
      // Stalled: learner 1's video 1 (furthest 45 %) and learner 2's video 2 (50 %), neither completed.
      stalled: {
        viewings: 2,
        completionRate: 0,
        dropOff: Array.from({ length: 21 }, (_, step) => ({ percent: step * 5, share: step <= 9 ? 1 : step === 10 ? 0.5 : 0 })),
      },
      // Smooth: learner 2's and learner 3's video 1 (completed) and learner 3's video 2 (failed at 0 %).
      smooth: {
        viewings: 3,
        completionRate: expect.closeTo(2 / 3, 9),
        dropOff: Array.from({ length: 21 }, (_, step) => ({ percent: step * 5, share: step === 0 ? 1 : expect.closeTo(2 / 3, 9) })),
      },
    },
  };

  it('reports startup, rebuffering, failures and bitrate by day, country, device and rendition, and stalls against completion', async () => {
    const answer = await call<Record<string, unknown>>(`/api/analytics/quality?from=${D1}&to=${D2}&courseId=${course}`, { token: admin.accessToken });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toEqual({ from: D1, to: D2, courseId: course, quality: expected });
  });

  it('gives an instructor their own courses', async () => {
    const answer = await call<Record<string, unknown>>(`/api/analytics/quality?from=${D1}&to=${D2}`, { token: instructor.accessToken });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.quality).toEqual(expected);
  });

  it('rejects a quality event without its measure, naming it', async () => {
    const answer = await postEvents([analyticsEvent({ type: 'playback_stall', props: { stall_ms: 'long' } }), analyticsEvent({ type: 'playback_start' })]);
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(0);
    expect(answer.body.rejected.map((rejection) => rejection.reason)).toEqual([expect.stringMatching(/^props\.stall_ms: /), expect.stringMatching(/^props\.startup_ms: /)]);
  });
});
