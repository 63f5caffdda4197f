import { beforeAll, describe, expect, it } from 'vitest';
import { analyticsEvent, courseOwnedBy, postEvents, query, stored, waitUntilStored } from './analytics.backing.ts';
import { call, sendUntilLimited, signedInAs, type SignedIn } from './client.ts';

const REPORTS = ['/dashboard', '/summary', '/top', '/funnel', '/breakdown', `/videos/${crypto.randomUUID()}/drop-off`];

describe('who reads analytics', () => {
  let learner: SignedIn;
  let owner: SignedIn;
  let other: SignedIn;
  let ownCourse: string;
  let othersCourse: string;

  beforeAll(async () => {
    learner = await signedInAs('learner');
    owner = await signedInAs('instructor');
    other = await signedInAs('instructor');
    ownCourse = await courseOwnedBy(owner.user.id);
    othersCourse = await courseOwnedBy(other.user.id);
    const plays = [
      analyticsEvent({ type: 'video_play', course_id: ownCourse, video_id: crypto.randomUUID() }),
      analyticsEvent({ type: 'video_play', course_id: othersCourse, video_id: crypto.randomUUID() }),
      analyticsEvent({ type: 'video_play', course_id: othersCourse, video_id: crypto.randomUUID() }),
    ];
    expect((await postEvents(plays, { token: learner.accessToken })).status).toBe(202);
    await waitUntilStored(plays.map((event) => event.event_id));
  });

  it('asks for a token', async () => {
    for (const path of REPORTS) {
      const answer = await call(`/api/analytics${path}`);
      expect(answer.status, path).toBe(401);
    }
  });

  it('refuses learners', async () => {
    for (const path of REPORTS) {
      const answer = await call<{ error: { code: string } }>(`/api/analytics${path}`, { token: learner.accessToken });
      expect(answer.status, path).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
    }
  });

  it("refuses an instructor another instructor's course, on every report", async () => {
    for (const path of REPORTS) {
      const answer = await call<{ error: { code: string } }>(`/api/analytics${path}?courseId=${othersCourse}`, { token: owner.accessToken });
      expect(answer.status, path).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
    }
  });

  it("shows an instructor only their own courses, never the jurisdiction's", async () => {
    const mine = await call<{ top: { courses: Array<{ courseId: string; plays: number }> } }>('/api/analytics/top', { token: owner.accessToken });
    expect(mine.status).toBe(200);
    expect(mine.body.top.courses).toEqual([expect.objectContaining({ courseId: ownCourse, plays: 1 })]);
    const theirs = await call<{ summary: { plays: number } }>('/api/analytics/summary', { token: other.accessToken });
    expect(theirs.body.summary.plays).toBe(2);
  });

  it('gives an instructor without courses empty reports', async () => {
    const newcomer = await signedInAs('instructor');
    const answer = await call<{ summary: { plays: number; activeLearners: number; completionRate: number | null } }>('/api/analytics/summary', {
      token: newcomer.accessToken,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.summary).toMatchObject({ plays: 0, activeLearners: 0, completionRate: null });
  });
});

describe('hostile input', () => {
  const HOSTILE = [
    "' OR 1=1 --",
    "2026-01-01'; DROP TABLE events; --",
    '{from:Date}',
    '\\\'); SELECT 1; --',
    "00000000-0000-0000-0000-000000000000' OR '1'='1",
  ];
  let admin: SignedIn;

  beforeAll(async () => {
    admin = await signedInAs('admin');
  });

  it('is refused in every dashboard filter before it reaches ClickHouse, and changes nothing', async () => {
    const [before] = await query<{ n: number }>('SELECT count() AS n FROM events');
    for (const hostile of HOSTILE) {
      const value = encodeURIComponent(hostile);
      for (const path of [`/summary?from=${value}`, `/summary?to=${value}`, `/summary?courseId=${value}`, `/videos/${value}/drop-off`]) {
        const answer = await call<{ error: { code: string } }>(`/api/analytics${path}`, { token: admin.accessToken });
        expect(answer.status, path).toBe(400);
        expect(answer.body.error.code).toBe('invalid_request');
      }
    }
    const [after] = await query<{ n: number }>('SELECT count() AS n FROM events');
    expect(after!.n).toBe(before!.n);
  });

  it('is stored verbatim as data, in event fields and request headers alike', async () => {
    const events = HOSTILE.map((hostile, i) => analyticsEvent({ props: { [`k${i}`]: hostile, 'q.search': hostile } }));
    const answer = await postEvents(events, { headers: { 'cf-ipcountry': "' OR 1=1 --", 'user-agent': "'); DROP TABLE events; --" } });
    expect(answer.body).toEqual({ accepted: HOSTILE.length, rejected: [] });
    await waitUntilStored(events.map((event) => event.event_id));
    const rows = await query<{ q: string; country: string; device: string }>(
      "SELECT props['q.search'] AS q, country, device FROM events WHERE event_id IN {ids:Array(UUID)} ORDER BY q",
      { ids: events.map((event) => event.event_id) },
    );
    expect(rows.map((row) => row.q)).toEqual([...HOSTILE].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(rows.map((row) => `${row.country}/${row.device}`))).toEqual(new Set(['XX/desktop']));
    expect(await stored(events.map((event) => event.event_id))).toEqual({ rows: HOSTILE.length, distinct: HOSTILE.length });
  });

  it('is refused in event ids, types and renditions', async () => {
    const answer = await postEvents([
      analyticsEvent({ event_id: HOSTILE[4] }),
      analyticsEvent({ type: HOSTILE[0] }),
      analyticsEvent({ rendition: HOSTILE[3] }),
      analyticsEvent({ course_id: HOSTILE[1] }),
    ]);
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(0);
    expect(answer.body.rejected.map((r) => r.index)).toEqual([0, 1, 2, 3]);
  });
});

describe('senders', () => {
  it('are limited per address when anonymous (120 requests a minute); a signed-in sender there is not', async () => {
    const ip = `192.0.2.${Math.floor(Math.random() * 200) + 1}`;
    const statuses = await sendUntilLimited(120, async () => (await call('/api/analytics/events', { body: '{', ip })).status);
    expect(statuses.slice(0, 120)).not.toContain(429);
    expect(statuses.at(-1)).toBe(429);
    const limited = await call<{ error: { code: string } }>('/api/analytics/events', { body: '{', ip });
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const learner = await signedInAs('learner');
    expect((await postEvents([analyticsEvent()], { ip, token: learner.accessToken })).status).toBe(202);
  });

  it('are limited per user when signed in (120 requests a minute), whatever their addresses', async () => {
    const learner = await signedInAs('learner');
    // Each request from a new address (the client's default): only the account ties them together.
    const statuses = await sendUntilLimited(120, async () => (await call('/api/analytics/events', { body: '{', token: learner.accessToken })).status);
    expect(statuses.slice(0, 120)).not.toContain(429);
    expect(statuses.at(-1)).toBe(429);
    const limited = await call<{ error: { code: string } }>('/api/analytics/video-view', { json: {}, token: learner.accessToken });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const another = await signedInAs('learner');
    expect((await postEvents([analyticsEvent()], { token: another.accessToken })).status).toBe(202);
  });
});
