import { env } from 'cloudflare:workers';
import { courses } from '../../db/schema.ts';
import { openClickHouse } from '../../workers/lib/clickhouse.ts';
import { ClickHouseSettings, readConfig, StorageSettings } from '../../workers/lib/config.ts';
import { openStorage } from '../../workers/lib/storage.ts';
import { withDatabase } from './backing.ts';
import { call, eventually, type Call } from './client.ts';

/** The `us` jurisdiction's ClickHouse and bucket, through the production clients. */
export function clickhouse() {
  return openClickHouse(readConfig(ClickHouseSettings, { ...env }), `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`);
}

export function storage() {
  return openStorage(readConfig(StorageSettings, { ...env }));
}

export async function query<T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const client = clickhouse();
  try {
    const result = await client.query({
      query: sql,
      query_params: params,
      format: 'JSONEachRow',
      use_multipart_params_auto: true,
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    return await result.json<T>();
  } finally {
    await client.close();
  }
}

export async function command(sql: string): Promise<void> {
  const client = clickhouse();
  try {
    await client.command({ query: sql });
  } finally {
    await client.close();
  }
}

/** A valid event happening now; override what the test is about. */
export function analyticsEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> & { event_id: string } {
  return { event_id: crypto.randomUUID(), type: 'page_view', ts: new Date().toISOString(), ...overrides };
}

export function postEvents(events: unknown[], options: Call = {}) {
  return call<{ accepted: number; rejected: Array<{ index: number; reason: string }> }>('/api/analytics/events', { json: { events }, ...options });
}

/** How many rows ClickHouse holds for these event ids, and how many distinct ids among them. */
export async function stored(eventIds: readonly string[]): Promise<{ rows: number; distinct: number }> {
  const [row] = await query<{ rows: number; distinct: number }>(
    'SELECT count() AS rows, uniqExact(event_id) AS distinct FROM events WHERE event_id IN {ids:Array(UUID)}',
    { ids: eventIds },
  );
  return row ?? { rows: 0, distinct: 0 };
}

/** Waits until every one of the events is in ClickHouse (the consumer batches for up to 5 s). */
export function waitUntilStored(eventIds: readonly string[], timeoutMs = 20_000) {
  return eventually(async () => {
    const count = await stored(eventIds);
    return count.distinct >= eventIds.length && count;
  }, timeoutMs, `storing ${eventIds.length} events`);
}

/** A course row owned by the instructor, enough for "which courses does this instructor own". */
export async function courseOwnedBy(instructorId: string): Promise<string> {
  const id = crypto.randomUUID();
  await withDatabase('us', (db) =>
    db.insert(courses).values({ id, originJurisdiction: 'us', instructorId, instructorName: 'Analytics Instructor', slug: `analytics-${id}`, title: 'Analytics course' }),
  );
  return id;
}
