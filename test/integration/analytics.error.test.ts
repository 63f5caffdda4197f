import { beforeAll, describe, expect, it } from 'vitest';
import { analyticsEvent, postEvents, stored, waitUntilStored } from './analytics.backing.ts';
import { call, signedInAs, type SignedIn } from './client.ts';

const HOUR_MS = 60 * 60 * 1000;

describe('POST /api/analytics/events with bad input', () => {
  it('rejects each bad event with its reason and accepts the rest of the batch', async () => {
    const good = [analyticsEvent(), analyticsEvent({ type: 'login' })];
    const bad = [
      analyticsEvent({ type: 'teleport' }),
      analyticsEvent({ ts: new Date(Date.now() + HOUR_MS).toISOString() }),
      analyticsEvent({ ts: new Date(Date.now() - 8 * 24 * HOUR_MS).toISOString() }),
      analyticsEvent({ ts: 'yesterday' }),
      analyticsEvent({ props: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`key${i}`, i])) }),
      analyticsEvent({ props: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`key${i}`, 'x'.repeat(256)])) }),
      analyticsEvent({ props: { nested: { not: 'allowed' } } }),
      analyticsEvent({ position_s: -1 }),
      analyticsEvent({ playback_rate: 'fast' }),
      analyticsEvent({ event_id: 'not-a-uuid' }),
      analyticsEvent({ user_id: crypto.randomUUID() }),
      null,
    ];
    const answer = await postEvents([good[0], ...bad, good[1]]);
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(2);
    expect(answer.body.rejected.map((r) => r.index)).toEqual(bad.map((_, i) => i + 1));
    const reasons = answer.body.rejected.map((r) => r.reason);
    expect(reasons[0]).toMatch(/^type: /);
    expect(reasons[1]).toBe('ts: is in the future');
    expect(reasons[2]).toBe('ts: is more than 7 days old');
    expect(reasons[3]).toMatch(/^ts: must be an ISO 8601 time/);
    expect(reasons[4]).toMatch(/^props: must have at most 20 keys/);
    expect(reasons[5]).toMatch(/^props: must be at most 2048 bytes/);
    expect(reasons[6]).toMatch(/^props\.nested: /);
    expect(reasons[7]).toMatch(/^position_s: /);
    expect(reasons[8]).toMatch(/^playback_rate: /);
    expect(reasons[9]).toMatch(/^event_id: /);
    // The user comes from the token, never from the event.
    expect(reasons[10]).toMatch(/user_id/);
    expect(reasons[11]).toMatch(/^event: /);

    await waitUntilStored(good.map((event) => event.event_id));
    const validIds = bad.flatMap((event) => (event && /^[0-9a-f-]{36}$/.test(String(event.event_id)) ? [String(event.event_id)] : []));
    expect(await stored(validIds)).toEqual({ rows: 0, distinct: 0 });
  });

  it.each([
    ['invalid JSON', '{"events": [', /not valid JSON/],
    ['no events array', JSON.stringify({ event: {} }), /events: /],
    ['an empty batch', JSON.stringify({ events: [] }), /at least one event/],
    ['too many events', JSON.stringify({ events: Array.from({ length: 501 }, () => ({})) }), /at most 500 events/],
    ['a bare array', JSON.stringify([analyticsEvent()]), /body: /],
  ])('answers 400 for %s', async (_, body, message) => {
    const answer = await call<{ error: { code: string; message: string } }>('/api/analytics/events', { body, headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toMatch(message);
  });

  it('answers 413 for a body past 256 KB, before reading it', async () => {
    const body = JSON.stringify({ events: [analyticsEvent({ props: { pad: 'x'.repeat(200) } })], pad: 'x'.repeat(300 * 1024) });
    const answer = await call<{ error: { code: string } }>('/api/analytics/events', { body, headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
  });

  it('answers 401 for a token that is sent but not valid, rather than storing events as anonymous', async () => {
    const answer = await postEvents([analyticsEvent()], { token: 'not.a.token' });
    expect(answer.status).toBe(401);
  });
});

describe('POST /api/analytics/video-view with bad input', () => {
  it('answers 400 with the reason for an invalid event', async () => {
    const answer = await call<{ error: { code: string; message: string } }>('/api/analytics/video-view', { json: analyticsEvent({ type: 'video_play', position_s: 'start' }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/position_s/) });
  });

  it('takes video events only', async () => {
    const answer = await call<{ error: { message: string } }>('/api/analytics/video-view', { json: analyticsEvent({ type: 'login' }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/video events only/);
  });

  it('takes one event, not a batch', async () => {
    const answer = await call('/api/analytics/video-view', { json: [analyticsEvent({ type: 'video_play' })] });
    expect(answer.status).toBe(400);
  });
});

describe('GET /api/analytics/* with bad parameters', () => {
  let admin: SignedIn;
  beforeAll(async () => {
    admin = await signedInAs('admin');
  });

  it.each([
    ['/summary?from=2026-02-30', /from: /],
    ['/summary?from=2026-03-10&to=2026-03-01', /from: must not be after to/],
    ['/summary?from=2024-01-01&to=2026-01-01', /at most 366 days/],
    ['/summary?courseId=42', /courseId: must be a course id/],
    ['/videos/42/drop-off', /videoId: must be a video id/],
  ])('%s answers 400', async (path, message) => {
    const answer = await call<{ error: { code: string; message: string } }>(`/api/analytics${path}`, { token: admin.accessToken });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toMatch(message);
  });
});
