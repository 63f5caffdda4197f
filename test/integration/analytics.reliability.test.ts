import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { rebuildAggregates } from '../../workers/analytics/aggregates.ts';
import { dashboards, FROM_AGGREGATES } from '../../workers/analytics/dashboards.ts';
import { replayDeadLetters } from '../../workers/analytics/dead-letters.ts';
import { insertEvents } from '../../workers/analytics/events.ts';
import { FROM_EVENTS } from '../../workers/analytics/reports-from-events.ts';
import { ClickHouseSettings, readConfig } from '../../workers/lib/config.ts';
import type { AnalyticsEventBatch, StoredEvent } from '../../workers/lib/contracts.ts';
import { analyticsEvent, clickhouse, command, postEvents, query, storage, stored, waitUntilStored } from './analytics.backing.ts';
import { eventually } from './client.ts';

function clickhouseDrill(action: 'kill' | 'restart') {
  return fetch(`${env.CONTROL_URL}/clickhouse/${action}`, { method: 'POST' });
}

/** This jurisdiction's event inserts that reached ClickHouse's port while a drill kept it down (since the platform started). */
async function insertsRefusedWhileDown(): Promise<string[]> {
  const refused = await (await fetch(`${env.CONTROL_URL}/clickhouse/refused`)).json<string[]>();
  const { CLICKHOUSE_DATABASE } = readConfig(ClickHouseSettings, { ...env });
  return refused.filter((target) => target.includes('INSERT INTO events_incoming') && target.includes(`database=${CLICKHOUSE_DATABASE}`));
}

async function playsOf(courseId: string): Promise<number> {
  const [row] = await query<{ plays: number }>('SELECT sum(plays) AS plays FROM daily_course_activity WHERE course_id = {course:UUID}', { course: courseId });
  return row?.plays ?? 0;
}

/** An event as the api enriches it, to put on the queue directly. */
function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  const now = new Date().toISOString();
  return {
    v: 1,
    event_id: crypto.randomUUID(),
    type: 'video_play',
    ts: now,
    props: {},
    user_id: null,
    received_at: now,
    jurisdiction: 'us',
    country: 'US',
    device: 'desktop',
    trace_id: 'f'.repeat(32),
    ...overrides,
  };
}

const batchOf = (events: StoredEvent[]): AnalyticsEventBatch => ({ v: 1, traceparent: `00-${'f'.repeat(32)}-${'e'.repeat(16)}-01`, events });

async function deadLetterFiles(): Promise<Array<{ key: string; lines: string[] }>> {
  const { s3, bucket } = storage();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'analytics-dlq/' }));
  return Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      const text: string = (await object.Body?.transformToString()) ?? '';
      return { key: Key ?? '', lines: text.split('\n').filter(Boolean) };
    }),
  );
}

describe('no event lost, none counted twice', () => {
  it('stores every accepted event exactly once when ClickHouse stops during ingestion and comes back', { timeout: 120_000 }, async () => {
    const courseId = crypto.randomUUID();
    const play = () => analyticsEvent({ type: 'video_play', course_id: courseId, video_id: crypto.randomUUID() });
    const before = Array.from({ length: 10 }, play);
    const during = Array.from({ length: 30 }, play);
    expect((await postEvents(before)).status).toBe(202);
    await waitUntilStored(before.map((event) => event.event_id));
    // The insert is done once the aggregates have it too: ClickHouse commits a table and each of its
    // views one after the other, and a crash between them is the one gap (README, "Analytics").
    await eventually(async () => (await playsOf(courseId)) === before.length, 10_000, 'the aggregates of the first events');

    const refusedBefore = (await insertsRefusedWhileDown()).length;
    // The embedded engine is killed; a server named by CLICKHOUSE_URL becomes unreachable.
    expect((await clickhouseDrill('kill')).status).toBe(204);
    try {
      // Accepted while ClickHouse is down: the queue holds them. A client retrying a request resends some.
      for (const slice of [during.slice(0, 15), during.slice(15), [...before.slice(0, 5), ...during.slice(0, 5)]]) {
        const answer = await postEvents(slice);
        expect(answer.status).toBe(202);
        expect(answer.body.accepted).toBe(slice.length);
      }
      // The consumer tried to insert them while ClickHouse was down (its batch waits up to 5 s).
      await eventually(async () => (await insertsRefusedWhileDown()).length > refusedBefore, 30_000, 'an insert refused while ClickHouse is down');
    } finally {
      expect((await clickhouseDrill('restart')).status).toBe(204);
    }

    const all = [...before, ...during].map((event) => event.event_id);
    expect(await waitUntilStored(all, 60_000)).toEqual({ rows: all.length, distinct: all.length });
    expect(await playsOf(courseId)).toBe(all.length);
  });

  it('counts a batch delivered twice once, in the events and in the aggregates', { timeout: 60_000 }, async () => {
    const courseId = crypto.randomUUID();
    const events = Array.from({ length: 5 }, () => storedEvent({ course_id: courseId }));
    const twice = batchOf([...events, events[0]!]);
    // Twice in one delivery, then once more later: Queues deliver at least once.
    await env.ANALYTICS_EVENTS.sendBatch([
      { body: twice, contentType: 'json' },
      { body: twice, contentType: 'json' },
    ]);
    await waitUntilStored(events.map((event) => event.event_id));
    const sentinel = storedEvent();
    await env.ANALYTICS_EVENTS.send(twice, { contentType: 'json' });
    await env.ANALYTICS_EVENTS.send(batchOf([sentinel]), { contentType: 'json' });
    // One consumer takes the queue in order: once the later message is in, the repeat was handled.
    await waitUntilStored([sentinel.event_id]);
    expect(await stored(events.map((event) => event.event_id))).toEqual({ rows: 5, distinct: 5 });
    expect(await playsOf(courseId)).toBe(5);
  });

  it('sends events ClickHouse refuses, and messages that are no batch of events, to dead-letter storage; replay inserts them once', { timeout: 90_000 }, async () => {
    const courseId = crypto.randomUUID();
    const good = [analyticsEvent({ type: 'video_play', course_id: courseId, video_id: crypto.randomUUID() })];
    const poison = Array.from({ length: 3 }, () => analyticsEvent({ type: 'video_play', course_id: courseId, video_id: crypto.randomUUID(), rendition: 'poison-pill' }));
    const unreadable = { v: 99, note: 'from a newer api' };
    // Stands in for a schema the events outgrew: ClickHouse refuses these rows until it is fixed.
    await command("ALTER TABLE events ADD CONSTRAINT analytics_test_poison CHECK rendition != 'poison-pill'");
    try {
      const answers = await Promise.all([postEvents(good), postEvents(poison), env.ANALYTICS_EVENTS.send(unreadable, { contentType: 'json' })]);
      expect(answers[0].status).toBe(202);
      expect(answers[1].status).toBe(202);
      // The good events of the same delivery are not held back.
      await waitUntilStored(good.map((event) => event.event_id));
      const poisonIds = poison.map((event) => event.event_id);
      await eventually(async () => {
        const lines = (await deadLetterFiles()).flatMap((file) => file.lines);
        return poisonIds.every((id) => lines.some((line) => line.includes(id))) && lines.includes(JSON.stringify(unreadable));
      }, 30_000, 'dead letters in storage');
      expect(await stored(poisonIds)).toEqual({ rows: 0, distinct: 0 });
    } finally {
      await command('ALTER TABLE events DROP CONSTRAINT analytics_test_poison');
    }

    const replay = async () => {
      const client = clickhouse();
      try {
        return await replayDeadLetters(storage(), client);
      } finally {
        await client.close();
      }
    };
    const first = await replay();
    expect(first.events).toBeGreaterThanOrEqual(poison.length);
    expect(await stored(poison.map((event) => event.event_id))).toEqual({ rows: 3, distinct: 3 });
    expect(await playsOf(courseId)).toBe(4);
    // The line that is no event stays for a human, and a second replay counts nothing twice.
    const kept = await deadLetterFiles();
    expect(kept.flatMap((file) => file.lines)).toContain(JSON.stringify(unreadable));
    expect(first.kept.map((file) => file.key).sort()).toEqual(kept.map((file) => file.key).sort());
    await replay();
    expect(await stored(poison.map((event) => event.event_id))).toEqual({ rows: 3, distinct: 3 });
    expect(await playsOf(courseId)).toBe(4);
  });
});

describe('npm run analytics:rebuild', () => {
  it('recomputes the daily aggregates a lost view write left short, to the numbers of the raw events', { timeout: 60_000 }, async () => {
    // Days no other test writes to, in two months: the rebuild goes month by month.
    const days = ['2025-03-30', '2025-03-31', '2025-04-01'] as const;
    const [courseA, courseB] = [crypto.randomUUID(), crypto.randomUUID()];
    // A video belongs to one course: two of A's, one of B's.
    const videos = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const learners = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const at = (day: string, second: number) => `${day}T10:00:${String(second).padStart(2, '0')}.000Z`;
    const events = days.flatMap((day, d) =>
      learners.flatMap((user_id, l) => {
        const course_id = l === 2 ? courseB : courseA;
        const video_id = l === 2 ? videos[2]! : videos[(d + l) % 2]!;
        const watched = 30 * (l + d + 1);
        return [
          storedEvent({ type: 'course_view', ts: at(day, 0), user_id, course_id, country: ['US', 'SA'][l % 2]!, device: d % 2 ? 'mobile' : 'desktop' }),
          storedEvent({ type: 'video_play', ts: at(day, 1), user_id, course_id, video_id, position_s: 0, duration_s: 120 }),
          storedEvent({ type: 'playback_start', ts: at(day, 1), user_id, course_id, video_id, rendition: '720p', props: { startup_ms: String(300 * (l + d + 1)) } }),
          storedEvent({ type: 'video_progress', ts: at(day, 2), user_id, course_id, video_id, position_s: watched, duration_s: 120, rendition: '720p', props: { bitrate: '2000000' } }),
          ...(l === 1 ? [] : [storedEvent({ type: 'playback_stall', ts: at(day, 2), user_id, course_id, video_id, rendition: '720p', props: { stall_ms: String(500 * (d + 1)) } })]),
          ...(watched >= 120 ? [storedEvent({ type: 'video_complete', ts: at(day, 3), user_id, course_id, video_id, position_s: 120, duration_s: 120 })] : []),
          ...(d === 0 ? [storedEvent({ type: 'enroll', ts: at(day, 4), user_id, course_id })] : []),
          storedEvent({ type: 'page_view', ts: at(day, 5), user_id: null, course_id, country: 'GB' }),
        ];
      }),
    );
    const client = clickhouse();
    try {
      await insertEvents(client, events);
      const reports = (sql = FROM_AGGREGATES) =>
        dashboards(client, { v: 1, traceparent: batchOf([]).traceparent, from: days[0], to: days[2], courses: [courseA, courseB] }, sql);
      const report = (sql = FROM_AGGREGATES) => reports(sql).dashboard();
      const dropOff = (sql = FROM_AGGREGATES) => reports(sql).dropOff(videos[0]!);
      const quality = (sql = FROM_AGGREGATES) => reports(sql).quality();
      const all = async (sql = FROM_AGGREGATES) => ({ dashboard: await report(sql), dropOff: await dropOff(sql), quality: await quality(sql) });
      const before = await all();
      expect(before.dashboard.summary.plays).toBe(9);
      expect(before.quality.total.stalls).toBe(6);
      expect(await all(FROM_EVENTS)).toEqual(before);

      // The views' writes of one batch lost for the middle day, as when ClickHouse dies between commits.
      const aggregates = ['daily_audience', 'daily_caption_viewing', 'daily_course_activity', 'daily_learner_courses', 'daily_learners', 'daily_playback_quality', 'daily_stalled_viewings', 'daily_viewings'];
      for (const table of aggregates) {
        await client.command({
          query: `ALTER TABLE ${table} DELETE WHERE day = {day:Date} AND course_id = {course:UUID}`,
          query_params: { day: days[1], course: courseA },
          clickhouse_settings: { mutations_sync: '2' },
        });
      }
      expect((await report()).summary.plays).toBe(7);
      expect((await quality()).total.stalls).toBe(5);

      const progress: string[] = [];
      const steps = await rebuildAggregates(client, { from: days[0], to: days[2] }, (step) => progress.push(`${step.table} ${step.from}..${step.to}`));
      expect(progress.sort()).toEqual(
        aggregates.flatMap((table) => [`${table} 2025-03-30..2025-03-31`, `${table} 2025-04-01..2025-04-01`]),
      );
      expect(steps.every((step) => step.rowsAfter > 0)).toBe(true);
      expect(await all()).toEqual(before);

      // Again: nothing changes.
      await rebuildAggregates(client, { from: days[0], to: days[2] });
      expect(await all()).toEqual(before);
    } finally {
      await client.close();
    }
  });
});
